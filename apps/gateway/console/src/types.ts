// What the console reads: the admin API's shapes (packages/control/src/admin-api.ts) and the
// console's own (apps/gateway/src/console), as far as the pages use them.

export interface Progress {
  done: number;
  total: number;
}

export interface AdminModel {
  name: string;
  uri: string;
  replicas: number;
  version: string | null;
  max_batch_size?: number;
  max_queue_delay_ms?: number;
  constraints?: Record<string, string>;
  created_at: string;
  updated_at: string;
  status: {
    state: string;
    reason?: string;
    serving_version?: string;
    target_version?: string;
    versions: string[];
    ready_replicas: number;
    error?: string;
  };
  workers: { id: string; version: string; state: string; progress?: Progress; error?: string }[];
  [setting: string]: unknown;
}

export interface AdminWorker {
  id: string;
  host: string;
  accelerator: string;
  memory_bytes: number;
  memory_used_bytes: number;
  devices: { kind: string; count?: number; memory_bytes?: number; memory_used_bytes?: number; model?: string }[];
  alive: boolean;
  last_seen: string;
  state: string;
  inflight: number;
  drained: boolean;
  models: { name: string; version: string; state: string; progress?: Progress; error?: string }[];
}

export interface Sample {
  t: number;
  arrivals: number;
  completions: number;
  errors: number;
  p50: number | null;
  p99: number | null;
  depth: { high: number; normal: number; low: number };
  replicas: number;
}

export interface Stats {
  now: number;
  leader: string | null;
  series: Record<string, Sample[]>;
}

export interface Scaling {
  pools: { pool: string; desired_workers: number; current_workers: number; backlog: number; arrival_rate: number }[];
}

export interface DeliveryState {
  status?: string;
  attempts?: number;
  [k: string]: unknown;
}

export interface Prediction {
  id: string;
  model: string;
  version: string;
  status: string;
  output: Record<string, { datatype: string; shape: number[]; data?: unknown[]; b64?: string }> | null;
  error: { code: string; message: string } | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  metrics: { queue_ms: number | null; predict_ms: number | null; batch_size: number | null };
  webhooks: unknown;
  trace_id: string | null;
}

export interface DeadLetter {
  entry: string;
  prediction_id: string;
  version: string;
  deliveries: number;
  created_at: string;
  dead_at: string;
}

export interface ApiKey {
  id: string;
  name: string;
  owner: string;
  created_at: string;
  last_used: string | null;
  models: string[] | null;
  rate: number | null;
  burst: number | null;
  max_queued: number | null;
  revoked_at: string | null;
  usage?: { predictions?: Record<string, number>; compute_seconds?: Record<string, number> };
}

export interface ModelDescription {
  name: string;
  version: string;
  inputs: { name: string; datatype: string; shape: number[] }[];
  outputs: { name: string; datatype: string; shape: number[] }[];
}
