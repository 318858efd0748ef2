// enqueue-6.lua: records a new prediction and appends its request to its stream, atomically.
import type { Priority, ResponseFormat } from '@alto/protocol';
import { modelStreams, type Keys } from '../keys.ts';
import { codeOf, queueScript, unexpected } from './queue-script.ts';

export interface EnqueueParams {
  keys: Keys;
  model: string;
  id: string;
  version: string;
  /** The request pins `version`: its entry goes to that version's streams. */
  pinned: boolean;
  priority: Priority;
  /** Epoch ms. */
  createdAt: number;
  format: ResponseFormat;
  /** Encoded input tensors. */
  inputs: Buffer;
  /** Most requests outstanding for the target, all priorities together; 0 = no limit. */
  maxQueueLength: number;
  /** Epoch ms by which it must start and finish; 0 = none. */
  deadline: number;
  /** The webhook, encoded (see webhook-record.ts); undefined = none. */
  webhook: string | undefined;
  owner: string;
  /** The request's Idempotency-Key, when it has one. */
  idempotency: { keyHash: string; requestHash: string; ttlMs: number } | undefined;
  /**
   * The channel of the gateway that waits for the outcome (`keys.notices`): the completion
   * notice goes there and carries the record. Undefined when no gateway waits.
   */
  notify: string | undefined;
  /** Trace context: the W3C traceparent the worker's spans descend from; undefined = none. */
  traceparent?: string | undefined;
  /** Who its usage counts against: a managed API key's id, 'bootstrap' or 'anonymous'. @default 'anonymous' */
  usageKey?: string | undefined;
}

/** The script's negative replies, as its `local NAME = <code>` lines name them. */
export const ENQUEUE_CODES = { EXISTS: -1, QUEUE_FULL: -2, UNPUBLISHED: -3, KEY_REUSED: -4 } as const;

export type EnqueueOutcome =
  /** Recorded; its entry is `entryId`. */
  | { code: 'QUEUED'; entryId: string }
  /** The idempotency key already created prediction `id` for the same request: nothing written. */
  | { code: 'REPEATED'; id: string }
  | { code: keyof typeof ENQUEUE_CODES };

export const enqueue = queueScript<EnqueueParams, EnqueueOutcome>('enqueue', {
  file: 'enqueue-6.lua',
  outcomes: ['QUEUED', 'REPEATED', ...Object.keys(ENQUEUE_CODES)],
  codes: ENQUEUE_CODES,
  keys: (p) => {
    const streams = modelStreams(p.keys, p.model, p.pinned ? p.version : undefined);
    const hash = p.keys.prediction(p.model, p.id);
    const idem = p.idempotency ? p.keys.idempotency(p.model, p.owner, p.idempotency.keyHash) : hash;
    return [streams.of(p.priority), hash, p.keys.unpublished(p.model), idem, ...streams.others(p.priority)];
  },
  argv: (p) => [
    p.id,
    p.version,
    p.createdAt,
    p.format,
    p.inputs,
    p.maxQueueLength,
    p.deadline,
    p.pinned ? '1' : '0',
    p.webhook ?? '',
    p.owner,
    p.idempotency?.requestHash ?? '',
    p.idempotency?.ttlMs ?? 0,
    p.priority,
    p.notify ?? '',
    // trace context
    p.traceparent ?? '',
    p.usageKey ?? 'anonymous',
  ],
  decode: (reply) => {
    if (typeof reply === 'string') return { code: 'QUEUED', entryId: reply };
    if (Array.isArray(reply) && reply.length === 1) return { code: 'REPEATED', id: String(reply[0]) };
    if (typeof reply === 'number') return { code: codeOf('enqueue-6.lua', ENQUEUE_CODES, reply) };
    return unexpected('enqueue-6.lua', reply);
  },
});
