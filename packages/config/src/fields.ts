// Shared zod fields for the apps' env schemas, so each variable means the same everywhere.
import { z } from 'zod';

/**
 * Where Redis is: one `redis://` (or `rediss://`) URL, or for a Redis Cluster a comma-separated
 * list of seed nodes (full URLs, or host:port after the first URL).
 */
export const redisSeeds = z.string().refine((s) => s.split(',').every((seed, i) => seedOk(seed.trim(), i)), {
  message: 'expected redis://host:port, or for a cluster a comma-separated list of seeds (redis://a:7000,b:7001)',
});
export const redisUrl = redisSeeds.default('redis://127.0.0.1:6379');
const seedOk = (seed: string, i: number): boolean => {
  if (i > 0 && /^[A-Za-z0-9_.:[\]-]+:\d+$/.test(seed)) return true;
  try {
    return /^rediss?:$/.test(new URL(seed).protocol);
  } catch {
    return false;
  }
};
/** `ALTO_REDIS_CLUSTER`: true selects the Redis Cluster client (REDIS_URL then lists seed nodes). */
export const redisCluster = z
  .enum(['true', 'false', '1', '0', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1');
export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
export const nonNegativeInt = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);
/** Prefix of every Redis key Alto writes; lets several fleets share one Redis. */
export const keyPrefix = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')
  .default('alto');

/**
 * TLS to Redis beyond what `rediss://` alone gives (the system's CAs): PEM files of the CA that
 * signed the server's certificate, and the client certificate and key when the server asks
 * for one (Memorystore's and managed Redis's in-transit encryption). Used with rediss:// only.
 */
export const redisTls = {
  /** PEM file of the CA that signed Redis's certificate. @default the system's CAs */
  ALTO_REDIS_TLS_CA: z.string().min(1).optional(),
  /** PEM file of this process's client certificate, for a Redis that verifies clients. */
  ALTO_REDIS_TLS_CERT: z.string().min(1).optional(),
  /** PEM file of the client certificate's private key. */
  ALTO_REDIS_TLS_KEY: z.string().min(1).optional(),
};

/** The TLS files of an env parsed with redisTls, as @alto/queue's connect takes them. */
export const redisTlsOf = (env: {
  ALTO_REDIS_TLS_CA?: string;
  ALTO_REDIS_TLS_CERT?: string;
  ALTO_REDIS_TLS_KEY?: string;
}): { ca?: string; cert?: string; key?: string } => ({
  ...(env.ALTO_REDIS_TLS_CA ? { ca: env.ALTO_REDIS_TLS_CA } : {}),
  ...(env.ALTO_REDIS_TLS_CERT ? { cert: env.ALTO_REDIS_TLS_CERT } : {}),
  ...(env.ALTO_REDIS_TLS_KEY ? { key: env.ALTO_REDIS_TLS_KEY } : {}),
});

/** A comma-separated list (blanks dropped, each item trimmed); unset is empty. */
export const commaList = z
  .string()
  .optional()
  .transform((s) =>
    (s ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

/**
 * `ALTO_PAYLOAD_ROOTS`: comma-separated base URIs (gs://bucket/prefix, file:///dir or a plain path)
 * under which requests may name input and output objects, and batch jobs their JSONL files.
 * Anything else is refused with a 400 naming this setting. Empty: no payload by reference.
 */
export const payloadRoots = commaList;
