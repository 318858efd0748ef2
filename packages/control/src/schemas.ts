// The control plane's records: what users publish (ModelSpec), what the leader assigns to
// each worker (Assignment), what each worker reports (WorkerReport) and what the leader
// observes per model (ModelState). All are stored as JSON in Redis and parsed on read.
import { MODEL_NAME, ModelConfigSchema, ModelInfoSchema, VERSION_NAME } from '@alto/protocol';
import { z } from 'zod';

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'] as const;

const constraintKey = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]{0,62}$/, 'constraint keys are lowercase words, e.g. accelerator');

/** A spec's own serving settings override its config.json's: the same fields, the same rules. */
const tunables = {
  max_batch_size: ModelConfigSchema.shape.max_batch_size,
  max_queue_delay_ms: ModelConfigSchema.shape.max_queue_delay_ms,
  max_queue_length: ModelConfigSchema.shape.max_queue_length,
  timeout_ms: ModelConfigSchema.shape.timeout_ms,
  /** Memory one replica needs; default: twice the checkpoint's size. */
  memory_bytes: z.number().int().positive().optional(),
  /** Worker labels a replica needs, e.g. {"accelerator": "gpu"}. */
  constraints: z.record(constraintKey, z.string().min(1).max(128)),
  execution_provider: z.enum(EXECUTION_PROVIDERS).optional(),
};

const uri = z.string().min(1).max(1024);
const replicas = z.number().int().min(0).max(1024);
const version = z.string().regex(VERSION_NAME, 'versions match [A-Za-z0-9][A-Za-z0-9._-]{0,63}').nullable();

export const PublishRequestSchema = z
  .object({
    name: z.string().regex(MODEL_NAME, 'model names match [a-z0-9][a-z0-9._-]{0,62}'),
    /** Base URI: gs://bucket/prefix, a local path or file:// URI holding <version>/model.onnx. */
    uri,
    replicas: replicas.default(1),
    /** Serve this version; null serves the highest complete one and rolls out new ones. */
    version: version.default(null),
    ...tunables,
    constraints: tunables.constraints.default({}),
  })
  .strict();
export type PublishRequest = z.infer<typeof PublishRequestSchema>;

/** Changes to a published model: only the fields given change; `"version": null` returns to the latest. */
export const UpdateRequestSchema = z
  .object({
    uri: uri.optional(),
    replicas: replicas.optional(),
    version: version.optional(),
    ...tunables,
    constraints: tunables.constraints.optional(),
  })
  .strict();
export type UpdateRequest = z.infer<typeof UpdateRequestSchema>;

export const ModelSpecSchema = PublishRequestSchema.extend({
  created_at: z.number(),
  updated_at: z.number(),
});
export type ModelSpec = z.infer<typeof ModelSpecSchema>;

const CheckpointFileSchema = z.object({
  uri: z.string(),
  size: z.number(),
  generation: z.string(),
  md5: z.string().optional(),
  crc32c: z.string().optional(),
});

export const CheckpointSchema = CheckpointFileSchema.extend({
  version: z.string(),
  /** model.jax: its params file, downloaded with it. */
  params: CheckpointFileSchema.optional(),
});

export const AssignedModelSchema = z.object({
  name: z.string(),
  version: z.string(),
  base_uri: z.string(),
  checkpoint: CheckpointSchema,
  /** config.json levels merged, then the spec's own settings; written by the leader, so read leniently. */
  config: ModelConfigSchema.strip(),
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

export const HELD_STATES = ['downloading', 'loading', 'ready', 'failed', 'unloading'] as const;
export type HeldState = (typeof HELD_STATES)[number];

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
  /** XLA models: compile time of each batch bucket at load, in ms, by bucket size. */
  compile_ms: z.record(z.string(), z.number()).optional(),
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
  /** Executors it can run (`onnx`, `xla`); absent in older reports, which mean onnx only. */
  runtimes: z.array(z.string()).optional(),
});
export type WorkerReport = z.infer<typeof WorkerReportSchema>;

export const MODEL_STATES = ['pending', 'loading', 'available', 'rolling_out', 'unplaceable', 'failed'] as const;

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
