// The worker's configuration, parsed once from the environment.
import { hostname } from 'node:os';
import { keyPrefix, logLevel, nonNegativeInt, parseEnv, port, positiveInt, redisUrl } from '@alto/config';
import { z } from 'zod';

export const WorkerEnvSchema = z.object({
  REDIS_URL: redisUrl,
  ALTO_PREFIX: keyPrefix,
  /** Model repository: a directory or file:// URI holding <model>/<version>/model.onnx. */
  ALTO_MODEL_REPOSITORY: z.string().default('./models'),
  /** Comma-separated models to serve; all models in the repository when unset. */
  ALTO_MODELS: z
    .string()
    .optional()
    .transform((s) => s?.split(',').map((m) => m.trim()).filter(Boolean)),
  /** Consumer name in each model's group; keep it stable across restarts of one worker. */
  ALTO_WORKER_ID: z.string().regex(/^[A-Za-z0-9_.:-]+$/).default(`${hostname()}-${process.pid}`),
  ALTO_EXECUTION_PROVIDER: z.enum(['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu']).default('cpu'),
  /** onnxruntime intra-op threads per session; 0 lets onnxruntime choose. */
  ALTO_INTRA_OP_THREADS: nonNegativeInt(0),
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
  ALTO_LOG_LEVEL: logLevel,
});

export type WorkerEnv = z.infer<typeof WorkerEnvSchema>;

export const loadEnv = (env: NodeJS.ProcessEnv = process.env, alsoKnown: string[] = []): WorkerEnv =>
  parseEnv(WorkerEnvSchema, env, { alsoKnown });
