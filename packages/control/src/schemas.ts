// The control plane's records: what users publish (ModelSpec), what the leader assigns to
// each worker (Assignment), what each worker reports (WorkerReport) and what the leader
// observes per model (ModelState). All are stored as JSON in Redis and parsed on read.
import {
  EXECUTION_PROVIDERS, HELD_STATES, MODEL_STATES, ModelInfoSchema, PublishRequestSchema, UpdateRequestSchema, VERSION_NAME,
  type HeldState, type PublishRequest, type UpdateRequest,
} from '@alto/protocol';
import { z } from 'zod';

// What users publish is the admin API's contract, defined with it in @alto/protocol.
export { EXECUTION_PROVIDERS, HELD_STATES, MODEL_STATES, PublishRequestSchema, UpdateRequestSchema, VERSION_NAME };
export type { HeldState, PublishRequest, UpdateRequest };

export const ModelSpecSchema = PublishRequestSchema.extend({
  created_at: z.number(),
  updated_at: z.number(),
});
export type ModelSpec = z.infer<typeof ModelSpecSchema>;

export const CheckpointSchema = z.object({
  version: z.string(),
  uri: z.string(),
  size: z.number(),
  generation: z.string(),
  md5: z.string().optional(),
  crc32c: z.string().optional(),
});

/** The model config a worker serves a version with: config.json levels merged with the spec. */
export const ServeConfigSchema = z.object({
  description: z.string().optional(),
  max_batch_size: z.number().int().min(0).optional(),
  max_queue_delay_ms: z.number().int().min(0).optional(),
  max_queue_length: z.number().int().min(0).optional(),
  timeout_ms: z.number().int().positive().optional(),
  instances: z.number().int().min(1).optional(),
  inputs: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()) })).optional(),
});
export type ServeConfig = z.infer<typeof ServeConfigSchema>;

export const AssignedModelSchema = z.object({
  name: z.string(),
  version: z.string(),
  base_uri: z.string(),
  checkpoint: CheckpointSchema,
  config: ServeConfigSchema,
  execution_provider: z.enum(EXECUTION_PROVIDERS).optional(),
  memory_bytes: z.number(),
});
export type AssignedModel = z.infer<typeof AssignedModelSchema>;

export const AssignmentSchema = z.object({
  /** Leadership epoch of the leader that wrote it. */
  epoch: z.number(),
  models: z.array(AssignedModelSchema),
});
export type Assignment = z.infer<typeof AssignmentSchema>;

export const HeldModelSchema = z.object({
  name: z.string(),
  version: z.string(),
  /** The checkpoint's model.onnx. */
  uri: z.string(),
  state: z.enum(HELD_STATES),
  progress: z.object({ done: z.number(), total: z.number() }).optional(),
  error: z.string().optional(),
  /** Memory the publisher budgeted for it. */
  memory_bytes: z.number().optional(),
  /** Metadata of a ready version. */
  info: ModelInfoSchema.optional(),
});
export type HeldModel = z.infer<typeof HeldModelSchema>;

export const WorkerReportSchema = z.object({
  id: z.string(),
  host: z.string(),
  accelerator: z.string(),
  memory_bytes: z.number(),
  tags: z.record(z.string(), z.string()),
  state: z.string(),
  inflight: z.number(),
  started_at: z.number(),
  /** When this report was written (epoch ms). */
  seen: z.number(),
  /** Cache keys of the checkpoints on the worker's disk. */
  cached: z.array(z.string()),
  models: z.array(HeldModelSchema),
});
export type WorkerReport = z.infer<typeof WorkerReportSchema>;

export const ModelStateSchema = z.object({
  state: z.enum(MODEL_STATES),
  reason: z.string().optional(),
  serving_version: z.string().optional(),
  target_version: z.string().optional(),
  /** Complete versions in the checkpoint store. */
  versions: z.array(z.string()),
  ready_replicas: z.number(),
  /** The last error, e.g. why the target version failed to load. */
  error: z.string().optional(),
  /** Versions that failed to load, by `<version>:<generation>`: not retried. */
  failed: z.record(z.string(), z.string()).default({}),
  updated_at: z.number(),
});
export type ModelState = z.infer<typeof ModelStateSchema>;
