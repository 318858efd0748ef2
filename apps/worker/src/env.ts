// The worker's configuration, parsed once from the environment.
import { hostname, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  heapGrowingPercent,
  commaList,
  keyPrefix,
  logLevel,
  nonNegativeInt,
  parseEnv,
  payloadRoots,
  port,
  positiveInt,
  redisCluster,
  redisUrl,
  redisTls,
} from '@alto/config';
import { assertPayloadAllowed, joinObjectUri } from '@alto/repository';
import { z } from 'zod';
import { parseDevicePin } from './devices.ts';

export const WorkerEnvSchema = z.object({
  REDIS_URL: redisUrl,
  /** Use the Redis Cluster client: REDIS_URL then lists seed nodes, comma-separated. */
  ALTO_REDIS_CLUSTER: redisCluster,
  /** TLS to Redis (rediss://): CA, client certificate and key files. */
  ...redisTls,
  /**
   * Replicas each batch of completions waits for (Redis WAIT) before the next batch; 0 = no
   * WAIT. Keeps completions at the pace of replication (docs/reliability.md).
   */
  ALTO_REDIS_WAIT_REPLICAS: nonNegativeInt(0),
  /** How long WAIT waits for those replicas. */
  ALTO_REDIS_WAIT_TIMEOUT_MS: positiveInt(500),
  ALTO_PREFIX: keyPrefix,
  /**
   * Serve every model of this repository (a directory or file:// URI holding
   * <model>/<version>/model.onnx) without a publisher: a fixed assignment made at start by
   * the checkpoint rules of docs/checkpoints.md. Unset: the publisher assigns models.
   */
  ALTO_MODEL_REPOSITORY: z.string().min(1).optional(),
  /**
   * Comma-separated roots local checkpoints must resolve under (every symlink followed) when
   * this worker opens them; the publisher's list, or a narrower one. Unset: the fixed
   * ALTO_MODEL_REPOSITORY, else anywhere (docs/security.md).
   */
  ALTO_ALLOWED_ROOTS: commaList,
  /** Where checkpoints downloaded from remote stores are kept, across restarts. */
  ALTO_CACHE_DIR: z.string().default('.alto/cache'),
  /** Most bytes of checkpoints kept in the cache; the least recently used unassigned ones go. 0 = no limit. */
  ALTO_CACHE_MAX_BYTES: nonNegativeInt(0),
  /** What the worker runs on, matched against models' `accelerator` constraint. */
  ALTO_ACCELERATOR: z
    .string()
    .regex(/^[a-z0-9_-]+$/)
    .default('cpu'),
  /**
   * Devices this worker uses: `gpu:0`, `gpu:0,1`, `gpu:all`, `tpu:all`, `tpu:0`, or `cpu` for
   * none; exported to the runtimes it starts as CUDA_VISIBLE_DEVICES (TPU_VISIBLE_CHIPS).
   * Unset: every device it finds.
   */
  ALTO_DEVICES: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return undefined;
      try {
        return parseDevicePin(s);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** Memory the publisher may fill with model replicas run on the CPU. @default 80% of RAM */
  ALTO_WORKER_MEMORY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(Math.floor(totalmem() * 0.8)),
  /** Labels matched against models' constraints: `zone=b,pool=batch`. */
  ALTO_WORKER_TAGS: z
    .string()
    .regex(/^([a-z][a-z0-9_.-]*=[^,=]+)(,[a-z][a-z0-9_.-]*=[^,=]+)*$/, 'comma-separated key=value pairs')
    .optional()
    .transform((s) => Object.fromEntries((s ? s.split(',') : []).map((kv) => kv.split('=') as [string, string]))),
  /** Comma-separated models to serve; all models in the repository when unset. */
  ALTO_MODELS: z
    .string()
    .optional()
    .transform((s) =>
      s
        ?.split(',')
        .map((m) => m.trim())
        .filter(Boolean),
    ),
  /** Consumer name in each model's group; keep it stable across restarts of one worker. */
  ALTO_WORKER_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]+$/)
    .default(`${hostname()}-${process.pid}`),
  ALTO_EXECUTION_PROVIDER: z.enum(['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu']).default('cpu'),
  /**
   * ONNX Runtime's GPU build (scripts/install-onnxruntime-gpu.sh), run instead of the CPU build
   * bundled with onnxruntime-node. @default .alto/onnxruntime-gpu for cuda and tensorrt
   */
  ALTO_ONNXRUNTIME_DIR: z.string().min(1).optional(),
  /**
   * XLA models (model.jax): `auto` runs them when the XLA runtime is installed in
   * ALTO_XLA_VENV (checked every heartbeat, so an install finishing later is picked up);
   * `off` never, and the worker reports only the onnx runtime.
   */
  ALTO_XLA_RUNTIME: z.enum(['auto', 'off']).default('auto'),
  /** The XLA runtime's virtual environment, as scripts/install-xla-runtime.sh makes it. */
  ALTO_XLA_VENV: z
    .string()
    .min(1)
    .default(fileURLToPath(new URL('../../../.alto/xla-venv', import.meta.url))),
  /** How long the XLA runtime process may take to start (JAX and its PJRT plugin). */
  ALTO_XLA_READY_TIMEOUT_MS: positiveInt(120_000),
  /** onnxruntime intra-op threads per session; 0 lets onnxruntime choose. */
  ALTO_INTRA_OP_THREADS: nonNegativeInt(0),
  /**
   * Whether onnxruntime's intra-op threads spin while waiting for work (its own default). Off:
   * they sleep, leaving the cores to the worker's main thread and Redis (docs/benchmarks.md).
   */
  ALTO_INTRA_OP_SPINNING: z
    .enum(['true', 'false', '1', '0', ''])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  ALTO_HOST: z.string().default('127.0.0.1'),
  /** Port of /metrics and /healthz; 0 picks a free one. */
  ALTO_METRICS_PORT: port(9464),
  ALTO_SHUTDOWN_GRACE_MS: positiveInt(30_000),
  ALTO_RETENTION_SECONDS: positiveInt(86_400),
  ALTO_HEARTBEAT_MS: positiveInt(2_000),
  /** Idle time after which another worker's unacknowledged entries are taken over. */
  ALTO_VISIBILITY_TIMEOUT_MS: positiveInt(30_000),
  /** Deliveries after which an entry is dead-lettered as poison. */
  ALTO_MAX_DELIVERIES: positiveInt(3),
  /** Every this-many reads take low-priority requests first, so a flood of higher ones cannot starve them. */
  ALTO_PRIORITY_LOW_EVERY: positiveInt(8),
  /**
   * Fault injection, for the chaos suite only: a request whose first input begins with this
   * number kills the worker process when its batch is about to run.
   */
  ALTO_FAILPOINT_CRASH_ON: z.coerce.number().finite().optional(),
  ALTO_LOG_LEVEL: logLevel,
  /** Old-generation growth before a full collection, in % over the live heap; 0: V8's own (@alto/config heap.ts). */
  ALTO_HEAP_GROWING_PERCENT: heapGrowingPercent,
  // --- tensors by reference (docs/payloads.md) ---
  /** Where inputs by reference are read from and outputs written to; the gateway's list. Empty: none. */
  ALTO_PAYLOAD_ROOTS: payloadRoots,
  /** Largest input object read, in bytes (1 GiB); checked from its metadata before downloading. */
  ALTO_PAYLOAD_MAX_BYTES: positiveInt(1024 ** 3),
  /**
   * Folder (under ALTO_PAYLOAD_ROOTS) for outputs too large to keep inline: a prediction whose
   * outputs exceed ALTO_INLINE_OUTPUT_MAX_BYTES gets them there, as URIs. Unset: kept inline.
   */
  ALTO_PAYLOAD_OUTPUT_ROOT: z.string().min(1).optional(),
  /** Most bytes of output tensors a prediction keeps inline in Redis when ALTO_PAYLOAD_OUTPUT_ROOT is set (1 MiB). */
  ALTO_INLINE_OUTPUT_MAX_BYTES: positiveInt(1024 * 1024),
});

export type WorkerEnv = z.infer<typeof WorkerEnvSchema>;

export function loadEnv(env: NodeJS.ProcessEnv = process.env, alsoKnown: string[] = []): WorkerEnv {
  const parsed = parseEnv(WorkerEnvSchema, env, { alsoKnown });
  const root = parsed.ALTO_PAYLOAD_OUTPUT_ROOT;
  if (root !== undefined) {
    try {
      assertPayloadAllowed(joinObjectUri(root, 'x.npy'), parsed.ALTO_PAYLOAD_ROOTS);
    } catch (err) {
      throw new ConfigError([
        `ALTO_PAYLOAD_OUTPUT_ROOT: '${root}' must be a folder under ALTO_PAYLOAD_ROOTS: ${(err as Error).message}`,
      ]);
    }
  }
  return parsed;
}
