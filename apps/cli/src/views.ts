// The admin API's shapes as the CLI reads and sends them (GET/POST/PATCH /v1/admin/...).
// Written from the admin API's contract; fields the CLI does not show may be added freely.

export type ModelState = 'pending' | 'loading' | 'available' | 'rolling_out' | 'unplaceable' | 'failed';
export type ReplicaState = 'downloading' | 'loading' | 'ready' | 'failed' | 'unloading';

export interface Progress {
  done: number;
  total: number;
}

export interface ModelSettings {
  replicas?: number;
  /** A pinned version; null follows the newest complete version in the store. */
  version?: string | null;
  max_batch_size?: number;
  max_queue_delay_ms?: number;
  max_queue_length?: number;
  timeout_ms?: number;
  memory_bytes?: number;
  constraints?: Record<string, string>;
  execution_provider?: string;
}

/** Body of POST /v1/admin/models. */
export interface PublishRequest extends ModelSettings {
  name: string;
  uri: string;
}

/** Body of PATCH /v1/admin/models/{name}. */
export type UpdateRequest = ModelSettings;

export interface ModelView {
  name: string;
  uri: string;
  replicas: number;
  version: string | null;
  max_batch_size?: number;
  max_queue_delay_ms?: number;
  max_queue_length?: number;
  timeout_ms?: number;
  memory_bytes?: number;
  constraints: Record<string, string>;
  execution_provider?: string;
  created_at: string;
  updated_at: string;
  status: {
    state: ModelState;
    reason?: string;
    serving_version?: string;
    target_version?: string;
    /** Complete versions in the store. */
    versions: string[];
    ready_replicas: number;
    error?: string;
  };
  workers: { id: string; version: string; state: ReplicaState; progress?: Progress; error?: string }[];
}

export interface WorkerView {
  id: string;
  host: string;
  accelerator: string;
  memory_bytes: number;
  memory_used_bytes: number;
  tags: Record<string, string>;
  alive: boolean;
  last_seen: string;
  state: string;
  inflight: number;
  models: { name: string; version: string; uri: string; state: ReplicaState; progress?: Progress; error?: string }[];
}

export interface UnpublishResult {
  name: string;
  unpublished: boolean;
  failed_queued: number;
}
