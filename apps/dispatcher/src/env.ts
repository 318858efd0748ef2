// The dispatcher's configuration, parsed once from the environment.
import { hostname } from 'node:os';
import {
  ConfigError,
  keyPrefix,
  logLevel,
  parseEnv,
  port,
  positiveInt,
  redisCluster,
  redisUrl,
  redisTls,
} from '@alto/config';
import { SECRET_FORMAT, allowCidrsField, parseSecrets, retryScheduleField } from '@alto/webhooks';
import { z } from 'zod';

export const DispatcherEnvSchema = z.object({
  REDIS_URL: redisUrl,
  /** Use the Redis Cluster client: REDIS_URL then lists seed nodes, comma-separated. */
  ALTO_REDIS_CLUSTER: redisCluster,
  /** TLS to Redis (rediss://): CA, client certificate and key files. */
  ...redisTls,
  ALTO_PREFIX: keyPrefix,
  /**
   * Signing secret(s): `whsec_` + base64 of 24 to 64 random bytes; several, space-separated,
   * while rotating (each signs). Required; checked by loadEnv, which never prints it.
   */
  ALTO_WEBHOOK_SECRET: z.string().optional(),
  /** Delay before each attempt, comma-separated (0, 250ms, 5s, 5m, 2h); its length is the number of attempts. */
  ALTO_WEBHOOK_RETRY_SCHEDULE: retryScheduleField,
  /** Bound on one delivery attempt, from connecting to reading the answer. */
  ALTO_WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  /** Internal addresses deliveries may go to anyway (CIDRs, comma- or space-separated). */
  ALTO_WEBHOOK_ALLOW_CIDRS: allowCidrsField,
  /** Deliveries in flight at once. */
  ALTO_WEBHOOK_CONCURRENCY: positiveInt(16),
  /** This dispatcher's name in the outbox consumer group. */
  ALTO_DISPATCHER_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]+$/)
    .default(`${hostname()}-${process.pid}`),
  ALTO_HOST: z.string().default('127.0.0.1'),
  /** Port of /healthz; 0 picks a free one. */
  ALTO_METRICS_PORT: port(9465),
  ALTO_LOG_LEVEL: logLevel,
});

export type DispatcherEnv = z.infer<typeof DispatcherEnvSchema> & {
  /** The signing keys of ALTO_WEBHOOK_SECRET. */
  keys: Buffer[];
};

/** Throws ConfigError for a missing or malformed secret, with a message that does not quote it. */
export function webhookKeys(secret: string | undefined): Buffer[] {
  if (secret === undefined) {
    throw new ConfigError([
      `ALTO_WEBHOOK_SECRET: required, ${SECRET_FORMAT} (npm start generates one when it is unset)`,
    ]);
  }
  try {
    return parseSecrets(secret);
  } catch (err) {
    throw new ConfigError([`ALTO_WEBHOOK_SECRET: ${(err as Error).message}`]);
  }
}

export function loadEnv(env: NodeJS.ProcessEnv = process.env, alsoKnown: string[] = []): DispatcherEnv {
  const parsed = parseEnv(DispatcherEnvSchema, env, { alsoKnown });
  return { ...parsed, keys: webhookKeys(parsed.ALTO_WEBHOOK_SECRET) };
}
