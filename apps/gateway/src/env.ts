// The gateway's configuration, parsed once from the environment.
import { keyPrefix, logLevel, parseEnv, port, positiveInt, redisUrl } from '@alto/config';
import { allowCidrsField } from '@alto/webhooks';
import { z } from 'zod';

export const GatewayEnvSchema = z.object({
  REDIS_URL: redisUrl,
  PORT: port(8080),
  ALTO_HOST: z.string().default('127.0.0.1'),
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
});

export type GatewayEnv = z.infer<typeof GatewayEnvSchema>;

export const loadEnv = (env: NodeJS.ProcessEnv = process.env, alsoKnown: string[] = []): GatewayEnv =>
  parseEnv(GatewayEnvSchema, env, { alsoKnown });
