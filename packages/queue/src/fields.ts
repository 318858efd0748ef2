// The field names of the records Alto keeps in Redis: prediction hashes, request stream
// entries, dead letters, outbox events and idempotency keys. TypeScript reads and writes
// fields through these tables only; the Lua scripts spell the same names, and
// fields.test.ts holds the two against each other. Changing a name here changes data a
// running older worker reads: it takes a new script VERSION and a migration.
import type { WebhookEvent } from '@alto/protocol';

/** A prediction's hash (`keys.prediction`). */
export const PREDICTION = {
  status: 'status',
  version: 'version',
  createdAt: 'created_at',
  /** Response format: 'json' | 'b64'. */
  format: 'fmt',
  /** Stream entry id while queued or running. */
  entry: 'entry',
  owner: 'owner',
  /** '1' when the request pins its version (its entry is in the version's stream). */
  pinned: 'pin',
  /** Epoch ms; absent = none. */
  deadline: 'deadline',
  /** Priority when not 'normal'. */
  priority: 'prio',
  /** JSON {"url", "events", "origin"} (see webhook-record.ts). */
  webhook: 'webhook',
  /** '1' when a gateway waits for it: the completion notice carries the record. */
  wait: 'wait',
  /**
   * The waiting gateways' channels (`keys.notices`), newline-separated, until it ends: its
   * completion notice goes to these only (lua/lib/notify.lua).
   */
  notify: 'notify',
  startedAt: 'started_at',
  /** Consumer name of the worker running it. */
  worker: 'worker',
  /** Starts, counting those repeated after a redelivery. */
  attempts: 'attempts',
  completedAt: 'completed_at',
  queueMs: 'queue_ms',
  predictMs: 'predict_ms',
  batchSize: 'batch_size',
  /** Encoded output tensors. */
  output: 'out',
  errorCode: 'err_code',
  errorMessage: 'err_msg',
  replayedAt: 'replayed_at',
  // --- trace context (OpenTelemetry) ---
  /** W3C traceparent the request's spans descend from; absent = not traced. */
  traceparent: 'tp',
  // --- end trace context ---
} as const;

/** Prefix of a prediction's per-event webhook delivery state: `webhook_<event>`. */
export const WEBHOOK_STATE_PREFIX = 'webhook_';

/** The field holding the delivery state of one webhook event of a prediction. */
export const webhookStateField = (event: WebhookEvent): `webhook_${WebhookEvent}` => `webhook_${event}`;

/** A request's entry in a model's (or version's) stream. */
export const ENTRY = {
  id: 'id',
  version: 'v',
  /** Submission time, epoch ms. */
  createdAt: 't',
  /** Encoded input tensors. */
  inputs: 'in',
  // --- trace context (OpenTelemetry) ---
  /** W3C traceparent of the gateway's enqueue span ('' = none): the worker continues that trace. */
  traceparent: 'tp',
  // --- end trace context ---
  /** Who its usage counts against: a managed API key's id, 'bootstrap' or 'anonymous' (key-usage.ts). */
  key: 'k',
} as const;

/** A dead-letter entry: these, then the request's entry fields. */
export const DEAD_LETTER = {
  ...ENTRY,
  /** The request's entry id in its stream. */
  entry: 'entry',
  deliveries: 'deliveries',
  deadAt: 'dead_at',
} as const;

/** A webhook event in a model's outbox. */
export const OUTBOX_EVENT = {
  id: 'id',
  event: 'event',
  /** When it happened, epoch ms. */
  at: 'at',
} as const;

/** An idempotency key's hash. */
export const IDEMPOTENCY = {
  /** The prediction the key created. */
  id: 'id',
  /** Hash of the request that created it. */
  body: 'body',
} as const;

/** A managed API key's bucket (`keys.apiKeyBucket`, key-admit-2.lua). */
export const API_KEY_BUCKET = {
  /** Tokens left (a float). */
  tokens: 'tokens',
  /** When `tokens` was computed, epoch ms (Redis's clock). */
  ts: 'ts',
  /** When a gateway last admitted a request of the key, epoch ms. */
  lastUsed: 'last_used',
} as const;

/**
 * Prefixes of the fields of a managed API key's usage totals (`keys.apiKeyUsage`), followed by
 * a model name: `p:<model>` predictions settled, `s:<model>` compute seconds (key-usage.ts).
 */
export const API_KEY_USAGE = {
  predictions: 'p:',
  computeSeconds: 's:',
} as const;

/** Every fixed field name of every record, for checks against the scripts. */
export const ALL_FIELDS: ReadonlySet<string> = new Set(
  [PREDICTION, ENTRY, DEAD_LETTER, OUTBOX_EVENT, IDEMPOTENCY, API_KEY_BUCKET].flatMap((t) => Object.values(t)),
);

/** A stream entry's flat [field, value, ...] list as a map; nil fields (a deleted entry) give undefined. */
export function entryFields<V extends string | Buffer>(
  flat: readonly V[] | null | undefined,
): Map<string, V> | undefined {
  if (!flat) return undefined;
  const out = new Map<string, V>();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i]!.toString(), flat[i + 1]!);
  return out;
}
