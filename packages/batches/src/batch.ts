// What a batch job is, in Redis and on the wire: the fields of its meta hash, the entries of
// its pending lines and sealed shards, and its rendering as the API's batch object.
import type { Priority } from '@alto/protocol';

export const BATCH_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** A batch as its meta hash holds it. */
export interface Batch {
  id: string;
  owner: string;
  /** The managed API key it was created with: its lines count against that key's limits. */
  keyId: string | null;
  model: string;
  inputUri: string;
  outputUri: string;
  priority: Priority;
  status: BatchStatus;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  canceledAt: number | null;
  /** Request lines of the input (non-blank lines); null until the feeder has counted them. */
  total: number | null;
  /** The last request line's number in the input; null until counted. */
  lastLine: number | null;
  /** The cursor: every line up to this number is fed. */
  fed: number;
  /** Lines fed (each one a prediction, or an error that refused it). */
  submitted: number;
  succeeded: number;
  failed: number;
  canceled: number;
  /** Shards sealed, and shards written (at most one behind). */
  sealed: number;
  written: number;
  error: { code: string; message: string } | null;
  /** Where the `batch.completed` event is POSTed when the batch ends; null for none. */
  webhook: string | null;
  /** Whether that event has been handed to the webhook outbox. */
  webhookSent: boolean;
}

/** Batch ids, told apart from prediction ids (`<model>.<ulid>`) in a webhook outbox. */
export const isBatchId = (id: string): boolean => id.startsWith('batch_');

/** A fed line: the prediction it became, or why it was refused; its custom_id if it had one. */
export type PendingEntry =
  { p: string; c?: string | number } | { e: { code: string; message: string }; c?: string | number };

/** A sealed shard: its lines with their entries, by line number. */
export interface SealedShard {
  lines: [number, PendingEntry][];
}

/** One line of a result shard. */
export interface ResultLine {
  custom_id: string | number | null;
  line: number;
  prediction_id: string | null;
  status: 'succeeded' | 'failed' | 'canceled';
  output: unknown;
  error: { code: string; message: string } | null;
}

const num = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));

export function parseBatch(h: Record<string, string>): Batch | undefined {
  if (!h.id) return undefined;
  return {
    id: h.id,
    owner: h.owner ?? '',
    keyId: h.key_id || null,
    model: h.model ?? '',
    inputUri: h.input_uri ?? '',
    outputUri: h.output_uri ?? '',
    priority: (h.priority ?? 'low') as Priority,
    status: (h.status ?? 'queued') as BatchStatus,
    createdAt: Number(h.created_at),
    startedAt: num(h.started_at),
    finishedAt: num(h.finished_at),
    canceledAt: num(h.canceled_at),
    total: num(h.total),
    lastLine: num(h.last_line),
    fed: Number(h.fed ?? 0),
    submitted: Number(h.submitted ?? 0),
    succeeded: Number(h.succeeded ?? 0),
    failed: Number(h.failed ?? 0),
    canceled: Number(h.canceled ?? 0),
    sealed: Number(h.sealed ?? 0),
    written: Number(h.written ?? 0),
    error: h.error ? (JSON.parse(h.error) as Batch['error']) : null,
    webhook: h.webhook || null,
    webhookSent: h.webhook_sent === '1',
  };
}

/** Where shard `n` of a batch is written: `<output_uri>/<batch id>/results-00001.jsonl`. */
export const shardUri = (b: Pick<Batch, 'id' | 'outputUri'>, n: number): string =>
  `${b.outputUri.replace(/\/+$/, '')}/${b.id}/results-${String(n).padStart(5, '0')}.jsonl`;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The API's batch object. */
export function renderBatch(b: Batch, now = Date.now()) {
  const done = b.succeeded + b.failed + b.canceled;
  const seconds = b.startedAt === null ? 0 : ((b.finishedAt ?? now) - b.startedAt) / 1000;
  return {
    id: b.id,
    model: b.model,
    status: b.status,
    input_uri: b.inputUri,
    output_uri: b.outputUri,
    results_uri: `${b.outputUri.replace(/\/+$/, '')}/${b.id}/`,
    priority: b.priority,
    counts: {
      total: b.total,
      fed: b.submitted,
      succeeded: b.succeeded,
      failed: b.failed,
      canceled: b.canceled,
      outstanding: b.submitted - done,
    },
    shards: b.written,
    rows_per_second: seconds > 0 ? Math.round((done / seconds) * 10) / 10 : 0,
    created_at: iso(b.createdAt)!,
    started_at: iso(b.startedAt),
    finished_at: iso(b.finishedAt),
    canceled_at: iso(b.canceledAt),
    error: b.error,
    webhook: b.webhook,
  };
}

export type RenderedBatch = ReturnType<typeof renderBatch>;

/** The body of the webhook event a batch sends when it ends, signed and delivered like a prediction's. */
export const batchEventPayload = (b: Batch, at: number) => ({
  type: 'batch.completed' as const,
  timestamp: new Date(at).toISOString(),
  data: renderBatch(b, at),
});
