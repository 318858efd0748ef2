// The control plane's records: what users publish (ModelSpec), what the leader assigns to
// each worker (Assignment), what each worker reports (WorkerReport) and what the leader
// observes per model (ModelState). All are stored as JSON in Redis and parsed on read.
import { MODEL_NAME, ModelConfigSchema, ModelInfoSchema, VERSION_NAME } from '@alto/protocol';
import { z } from 'zod';

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'] as const;

/** Kinds of device a replica runs on; the values of the `accelerator` constraint. */
export const DEVICE_KINDS = ['cpu', 'gpu', 'tpu'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];
/** Executors, chosen by the checkpoint's format; the values of the `runtime` constraint. */
export const RUNTIMES = ['onnx', 'xla'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** Constraint keys whose values are a closed set, checked when a model is published or updated. */
const KNOWN_CONSTRAINTS: Record<string, readonly string[]> = { accelerator: DEVICE_KINDS, runtime: RUNTIMES };

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
  /**
   * What a replica needs of its worker, e.g. {"accelerator": "gpu"}: `accelerator` (cpu, gpu,
   * tpu) a device of that kind, `runtime` (onnx, xla) that executor, other keys the worker's tags.
   */
  constraints: z
    .record(constraintKey, z.string().min(1).max(128))
    .superRefine((constraints, ctx) => {
      for (const [key, allowed] of Object.entries(KNOWN_CONSTRAINTS)) {
        const value = constraints[key];
        if (value !== undefined && !allowed.includes(value))
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `expected one of ${allowed.join(', ')}, got '${value}'`,
          });
      }
    })
    .describe(
      'What a replica needs of its worker: accelerator (cpu, gpu or tpu) a device of that kind, runtime (onnx or xla) ' +
        "that executor, any other key the worker's tag of that name.",
    ),
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
  // Read leniently: a spec stored before a constraint's values were a closed set stays listed.
  constraints: z.record(z.string(), z.string()).default({}),
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
  /** model.onnx: its external data files, downloaded with it. */
  external: z.array(CheckpointFileSchema).optional(),
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
  /** The kind of device the leader budgeted `memory_bytes` on, on this worker. */
  device: z.enum(DEVICE_KINDS).optional(),
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
  /** The kind of device that memory was budgeted on. */
  device: z.enum(DEVICE_KINDS).optional(),
  /** Metadata of a ready version. */
  info: ModelInfoSchema.optional(),
  /** XLA models: compile time of each batch bucket at load, in ms, by bucket size. */
  compile_ms: z.record(z.string(), z.number()).optional(),
});
export type HeldModel = z.infer<typeof HeldModelSchema>;

/** Devices of one kind and model a worker runs replicas on, as the worker discovered them. */
export const DeviceSchema = z.object({
  kind: z.enum(DEVICE_KINDS),
  /** e.g. "NVIDIA H200", "TPU v5 lite", the CPU's model name. */
  model: z.string(),
  count: z.number().int().positive(),
  /** A GPU's or TPU chip's own memory; for the CPU, the host's physical memory. */
  memory_bytes_per_device: z.number().nonnegative(),
  /** Indices of the devices (nvidia-smi's or the runtime's), where they have any. */
  ids: z.array(z.number().int().nonnegative()).optional(),
  /** CPU cores, for the CPU. */
  cores: z.number().int().positive().optional(),
  /** Where the memory figure comes from: the host, nvidia-smi, or the accelerator runtime (PJRT). */
  source: z.enum(['host', 'nvidia-smi', 'runtime']).optional(),
});
export type Device = z.infer<typeof DeviceSchema>;

export const WorkerReportSchema = z.object({
  id: z.string(),
  host: z.string(),
  accelerator: z.string(),
  /** The budget for replicas run on the CPU (ALTO_WORKER_MEMORY_BYTES). */
  memory_bytes: z.number(),
  /** Its devices; absent in reports of workers older than device discovery. */
  devices: z.array(DeviceSchema).optional(),
  /** The onnxruntime execution provider of models that name none. */
  execution_provider: z.string().optional(),
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
  /** The executor the target version needs, from its model file (model.jax: xla). */
  runtime: z.enum(RUNTIMES).optional(),
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
