// Per-key usage on the gateway's side: which key a request's usage counts against (the entry
// field the worker reads), and cancellations, the one final status no worker sees for a
// queued prediction. Workers count the rest (apps/worker/src/key-usage.ts).
import { ANONYMOUS, ANONYMOUS_KEY, BOOTSTRAP_KEY, addKeyUsage, type Keys } from '@alto/queue';
import type { Logger } from '@alto/telemetry';
import type { Redis } from 'ioredis';
import type { Caller } from './auth.ts';
import type { GatewayMetrics } from './metrics.ts';

/** The usage key of a caller: its managed key's id, else 'bootstrap' (a bootstrap key) or 'anonymous'. */
export const usageKeyOf = (c: Caller): string => c.key?.id ?? (c.owner === ANONYMOUS ? ANONYMOUS_KEY : BOOTSTRAP_KEY);

export interface KeyUsageDeps {
  redis: Redis;
  /** Where managed keys' totals are kept. @default none: counted in the metric only */
  keys?: Pick<Keys, 'apiKeyUsage'> | undefined;
  metrics: Pick<GatewayMetrics, 'keySettled'>;
  log: Logger;
}

/** Counts a prediction of `model` that `caller` has just canceled; never throws. */
export async function countCanceled(d: KeyUsageDeps, caller: Caller, model: string): Promise<void> {
  const key = usageKeyOf(caller);
  d.metrics.keySettled.inc({ key, model, status: 'canceled' });
  if (!d.keys) return;
  try {
    await addKeyUsage(d.redis, d.keys, [{ key, model, predictions: 1, computeSeconds: 0 }]);
  } catch (err) {
    d.log.warn({ err, model }, 'recording API key usage failed; this cancellation is missing from it');
  }
}
