// The queue's Lua scripts, one typed wrapper each (see ../lua/*.lua for each contract).
import type { Redis } from 'ioredis';
import { defineLuaScripts, type LuaScript } from '../lua-script.ts';
import { addWaiter } from './add-waiter.ts';
import { cancel } from './cancel.ts';
import { complete } from './complete.ts';
import { enqueue } from './enqueue.ts';
import { failQueued } from './fail-queued.ts';
import { keyAdmit } from './key-admit.ts';
import { ownerAdd } from './owner-add.ts';
import { replay } from './replay.ts';
import { start } from './start.ts';
import { webhookDelivery } from './webhook-delivery.ts';

export { VERSION } from './queue-script.ts';
export { addWaiter, cancel, complete, enqueue, failQueued, keyAdmit, ownerAdd, replay, start, webhookDelivery };
export { KEY_ADMIT_CODES, type KeyAdmitOutcome, type KeyAdmitParams } from './key-admit.ts';
export { ENQUEUE_CODES, type EnqueueOutcome, type EnqueueParams } from './enqueue.ts';
export { START_CODES, type StartOutcome, type StartParams } from './start.ts';
export { COMPLETE_CODES, type CompleteOutcome, type CompleteParams } from './complete.ts';
export type { CancelOutcome, CancelParams } from './cancel.ts';
export type { AddWaiterOutcome, AddWaiterParams } from './add-waiter.ts';
export { FAIL_QUEUED_CODES, type FailQueuedOutcome, type FailQueuedParams } from './fail-queued.ts';
export type { ReplayOutcome, ReplayParams } from './replay.ts';
export { WEBHOOK_DELIVERY_CODES, type WebhookDeliveryOutcome, type WebhookDeliveryParams } from './webhook-delivery.ts';
export { OWNER_ADD_CODES, type OwnerAddOutcome, type OwnerAddParams } from './owner-add.ts';

/** Every queue script. */
export const QUEUE_SCRIPTS: readonly LuaScript<never, unknown>[] = [
  enqueue,
  start,
  complete,
  cancel,
  failQueued,
  replay,
  webhookDelivery,
  ownerAdd,
  addWaiter,
  keyAdmit,
];

/** Registers every queue script on a connection; pipelines made from it afterwards have them too. */
export function defineQueueScripts(redis: Redis): Redis {
  defineLuaScripts(redis, QUEUE_SCRIPTS);
  return redis;
}
