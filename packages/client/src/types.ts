// The API's objects as they travel (JSON), written out by hand from the gateway's OpenAPI
// components so the client carries no runtime dependency; src/types.test.ts holds them
// assignable both ways against @alto/protocol's schemas, so a drift breaks the build.

export const DATATYPES = [
  'BOOL',
  'UINT8',
  'INT8',
  'UINT16',
  'INT16',
  'UINT32',
  'INT32',
  'UINT64',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
] as const;
export type Datatype = (typeof DATATYPES)[number];

export const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled', 'expired'] as const;
export type Status = (typeof STATUSES)[number];
export const TERMINAL_STATUSES: readonly Status[] = ['succeeded', 'failed', 'canceled', 'expired'];
export const isTerminal = (status: Status): boolean => TERMINAL_STATUSES.includes(status);

/** Highest first: workers fill each batch from `high`, then `normal`, then `low`. */
export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const WEBHOOK_EVENTS = ['start', 'completed'] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

type Nested = number | boolean | Nested[];

/** A request tensor in JSON: `data` (flat or nested) or `b64` of its little-endian bytes. */
export type InputTensorJson =
  | { datatype: Datatype; shape: number[]; data: Nested[] }
  | { datatype: Datatype; shape: number[]; b64: string }
  /** An object under the fleet's ALTO_PAYLOAD_ROOTS: a .npy, or raw bytes with `shape` (docs/payloads.md). */
  | { uri: string; datatype?: Datatype; shape?: number[] };

/** An output tensor in JSON: `data` (null for NaN/±Infinity) with response_format json, `b64` with b64. */
export type OutputTensorJson =
  | { datatype: Datatype; shape: number[]; data: (number | boolean | null)[] }
  | { datatype: Datatype; shape: number[]; b64: string }
  /** Written to a .npy object (output_uri, or an output too large to keep inline). */
  | { datatype: Datatype; shape: number[]; uri: string };

/** The JSON request body of POST /v1/models/{model}/predictions. */
export interface PredictionRequestJson {
  input: Record<string, InputTensorJson>;
  response_format?: 'json' | 'b64';
  timeout_ms?: number;
  webhook?: string;
  webhook_events_filter?: WebhookEventName[];
  priority?: Priority;
  /** A folder under ALTO_PAYLOAD_ROOTS: outputs are written there as .npy and returned as URIs. */
  output_uri?: string;
}

export interface WebhookDeliveryJson {
  event: 'prediction.started' | 'prediction.completed';
  webhook_id: string;
  state: 'pending' | 'retrying' | 'delivered' | 'gave_up';
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
}

/** A prediction as the API renders it. */
export interface PredictionJson {
  id: string;
  model: string;
  version: string;
  status: Status;
  output: Record<string, OutputTensorJson> | null;
  error: { code: string; message: string } | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  metrics: { queue_ms: number | null; predict_ms: number | null; batch_size: number | null };
  urls: { get: string; cancel: string };
  webhooks: {
    url: string;
    events_filter: WebhookEventName[];
    deliveries: WebhookDeliveryJson[];
  } | null;
  /** The OpenTelemetry trace it belongs to (32 hex digits); null when not traced. */
  trace_id: string | null;
}

export interface PredictionListJson {
  predictions: PredictionJson[];
  next_cursor: string | null;
}
