// The prediction object returned by the API, built from what the queue stores.
import type { OutcomeCode } from './errors.ts';
import { tensorToJson, type ResponseFormat, type TensorJson } from './tensor.ts';
import type { TensorMap } from './tensor-codec.ts';
import { renderWebhooks, type RenderedWebhooks, type WebhookRecord } from './webhook.ts';

export const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled', 'expired'] as const;
export type Status = (typeof STATUSES)[number];
export const TERMINAL: ReadonlySet<Status> = new Set(['succeeded', 'failed', 'canceled', 'expired']);

/** A prediction as stored, before rendering. Times are epoch milliseconds. */
export interface PredictionRecord {
  id: string;
  model: string;
  version: string;
  status: Status;
  format: ResponseFormat;
  output: TensorMap | null;
  error: { code: OutcomeCode | string; message: string } | null;
  createdAt: number;
  startedAt: number | null;
  completedAt: number | null;
  queueMs: number | null;
  predictMs: number | null;
  batchSize: number | null;
  /** The webhook it was submitted with, and its deliveries; absent without one. */
  webhook?: WebhookRecord | null;
  /** Fingerprint of the API key that created it ('' when not recorded). Never rendered. */
  owner?: string;
  /** Set by an enqueue that found the request's Idempotency-Key: this is the first prediction. */
  replayed?: boolean;
  /** W3C traceparent the prediction's spans descend from; absent when not traced. */
  traceparent?: string;
}

export interface Prediction {
  id: string;
  model: string;
  version: string;
  status: Status;
  output: Record<string, TensorJson> | null;
  error: { code: string; message: string } | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  metrics: { queue_ms: number | null; predict_ms: number | null; batch_size: number | null };
  urls: { get: string; cancel: string };
  webhooks: RenderedWebhooks;
  /** The OpenTelemetry trace it belongs to (32 hex digits); null when not traced. */
  trace_id: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Renders a record; `base` is the public origin, e.g. `http://127.0.0.1:8080`. */
export function renderPrediction(r: PredictionRecord, base: string): Prediction {
  let output: Record<string, TensorJson> | null = null;
  if (r.output) {
    output = {};
    for (const [name, t] of r.output) output[name] = tensorToJson(t, r.format);
  }
  const self = `${base}/v1/predictions/${r.id}`;
  return {
    id: r.id,
    model: r.model,
    version: r.version,
    status: r.status,
    output,
    error: r.error,
    created_at: iso(r.createdAt)!,
    started_at: iso(r.startedAt),
    completed_at: iso(r.completedAt),
    metrics: { queue_ms: r.queueMs, predict_ms: r.predictMs, batch_size: r.batchSize },
    urls: { get: self, cancel: `${self}/cancel` },
    webhooks: renderWebhooks(r.id, r.webhook),
    // The trace id is the traceparent's second field (validated when it was accepted).
    trace_id: r.traceparent?.split('-')[1] ?? null,
  };
}
