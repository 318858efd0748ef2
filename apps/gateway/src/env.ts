// The gateway's configuration, parsed once from the environment.
import {
  ConfigError,
  heapGrowingPercent,
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
import { allowCidrsField } from '@alto/webhooks';
import { z } from 'zod';

/** Shortest API key accepted: a short key is a guessable key. */
export const MIN_API_KEY_LENGTH = 16;

const apiKeys = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== ''),
  )
  .pipe(
    z.array(
      z
        .string()
        .min(MIN_API_KEY_LENGTH, `each key must be at least ${MIN_API_KEY_LENGTH} characters`)
        .regex(/^[\x21-\x7e]+$/, 'each key must be printable ASCII without spaces or commas'),
    ),
  )
  .default([]);

export const GatewayEnvSchema = z.object({
  REDIS_URL: redisUrl,
  /** Use the Redis Cluster client: REDIS_URL then lists seed nodes, comma-separated. */
  ALTO_REDIS_CLUSTER: redisCluster,
  /** TLS to Redis (rediss://): CA, client certificate and key files. */
  ...redisTls,
  /**
   * Replicas that must confirm each enqueue (Redis WAIT) before the request is reported
   * accepted; unconfirmed, it is answered 503. 0 = no WAIT. With 1, no accepted request is
   * lost when a master fails over (docs/reliability.md).
   */
  ALTO_REDIS_WAIT_REPLICAS: nonNegativeInt(0),
  /** How long WAIT waits for those replicas. */
  ALTO_REDIS_WAIT_TIMEOUT_MS: positiveInt(500),
  /**
   * Fraction of Redis's `maxmemory` past which new predictions are refused (503
   * `storage_full`); the rest is headroom for completing the work already accepted.
   */
  ALTO_REDIS_MEMORY_HIGH_WATER: z.coerce.number().gt(0).max(1).default(0.9),
  PORT: port(8080),
  ALTO_HOST: z.string().default('127.0.0.1'),
  /**
   * API keys (comma-separated) accepted as `Authorization: Bearer <key>` on the prediction
   * routes. Without keys the gateway serves anyone and must listen on loopback only.
   */
  ALTO_API_KEYS: apiKeys,
  ALTO_PREFIX: keyPrefix,
  /** Largest request body accepted, in bytes (16 MiB). */
  ALTO_MAX_BODY_BYTES: positiveInt(16 * 1024 * 1024),
  /** Upper bound of `Prefer: wait=N`, in seconds. */
  ALTO_MAX_WAIT_SECONDS: positiveInt(60).pipe(z.number().max(600)),
  /** Origin used in returned URLs; taken from each request's Host when unset. */
  ALTO_PUBLIC_URL: z.string().url().optional(),
  /** How long canceled predictions are kept (workers keep the others as long). */
  ALTO_RETENTION_SECONDS: positiveInt(86_400),
  /** Publisher whose admin API is also served here, under /v1/admin (one URL for the CLI). */
  ALTO_PUBLISHER_URL: z.string().url().optional(),
  /** Internal addresses webhook URLs may resolve to anyway (CIDRs, comma- or space-separated). */
  ALTO_WEBHOOK_ALLOW_CIDRS: allowCidrsField,
  ALTO_LOG_LEVEL: logLevel,
  /** Old-generation growth before a full collection, in % over the live heap; 0: V8's own (@alto/config heap.ts). */
  ALTO_HEAP_GROWING_PERCENT: heapGrowingPercent,
  /**
   * Port of the Open Inference Protocol's gRPC service (and the gRPC health service), on
   * ALTO_HOST; 0 = any free port (logged). Unset = no gRPC server. `npm start` sets 8001.
   */
  ALTO_GRPC_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** How long an Open Inference Protocol infer call holds for its prediction, in seconds. */
  ALTO_OIP_INFER_TIMEOUT_SECONDS: positiveInt(60).pipe(z.number().max(3600)),
  /**
   * `true`: also accept managed API keys (`alto keys create`, docs/api-keys.md), with their
   * limits; prediction routes then require a key even when ALTO_API_KEYS is empty.
   */
  ALTO_MANAGED_API_KEYS: z
    .enum(['true', 'false', '1', '0', ''])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  /** How long a managed key's record is used before it is read again: the bound on revocation, in ms. */
  ALTO_API_KEY_CACHE_MS: positiveInt(500).pipe(z.number().max(60_000)),
  /** Where a request's inputs by reference and output_uri may be (docs/payloads.md). Empty: refused. */
  ALTO_PAYLOAD_ROOTS: payloadRoots,
  /** Longest element of a BYTES input, in bytes (docs/text-models.md). */
  ALTO_BYTES_ELEMENT_MAX_BYTES: positiveInt(1024 * 1024),
  /** Most bytes of one BYTES input's elements together. */
  ALTO_BYTES_TOTAL_MAX_BYTES: positiveInt(16 * 1024 * 1024),
  /**
   * Seals the web console's session cookies (/console, on with ALTO_PUBLISHER_URL); gateways
   * sharing it share sessions. Unset: a random secret per process (a restart logs everyone out).
   */
  ALTO_CONSOLE_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  /** How often the console samples each model for its charts (15 minutes are kept), in ms. */
  ALTO_CONSOLE_SAMPLE_MS: positiveInt(5000).pipe(z.number().min(250).max(60_000)),
  /** The console's link to a prediction's trace, e.g. `http://jaeger:16686/trace/{trace_id}`. */
  ALTO_CONSOLE_TRACE_URL: z.string().includes('{trace_id}', { message: "must contain '{trace_id}'" }).optional(),
  /** Most predictions of one batch outstanding at once (also bounded by half the model's max_queue_length). */
  ALTO_BATCH_WINDOW: positiveInt(64),
  /** Tests only: `<submitted|sealed|written>:<n>` kills the gateway after that batch step (batch-failpoint.ts). */
  ALTO_FAILPOINT_BATCH: z
    .string()
    .regex(/^(submitted|sealed|written):\d+$/, 'expected <submitted|sealed|written>:<number>')
    .optional(),
});

export type GatewayEnv = z.infer<typeof GatewayEnvSchema>;

/** Whether `host` is a loopback address (or a name only loopback has). */
export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);

export function loadEnv(env: NodeJS.ProcessEnv = process.env, alsoKnown: string[] = []): GatewayEnv {
  const parsed = parseEnv(GatewayEnvSchema, env, { alsoKnown });
  if (parsed.ALTO_API_KEYS.length === 0 && !parsed.ALTO_MANAGED_API_KEYS && !isLoopback(parsed.ALTO_HOST)) {
    throw new ConfigError([
      `ALTO_HOST: without ALTO_API_KEYS the gateway serves anyone who can reach it, so it listens on loopback only ` +
        `(127.0.0.1, ::1, localhost); got '${parsed.ALTO_HOST}'. Set ALTO_API_KEYS, or ALTO_HOST=127.0.0.1`,
    ]);
  }
  return parsed;
}
