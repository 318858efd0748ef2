// The publisher's configuration, parsed once from the environment.
import { hostname } from 'node:os';
import { keyPrefix, logLevel, parseEnv, port, positiveInt, redisCluster, redisUrl } from '@alto/config';
import { z } from 'zod';

const list = z
  .string()
  .optional()
  .transform((s) =>
    (s ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

export const PublisherEnvSchema = z.object({
  REDIS_URL: redisUrl,
  /** Use the Redis Cluster client: REDIS_URL then lists seed nodes, comma-separated. */
  ALTO_REDIS_CLUSTER: redisCluster,
  ALTO_PREFIX: keyPrefix,
  /** Identity in the leader election; unique per publisher process. */
  ALTO_PUBLISHER_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]+$/)
    .default(`${hostname()}-${process.pid}`),
  /** Bearer token of the admin API. Unset: every admin request is refused. */
  ALTO_ADMIN_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  ALTO_ADMIN_HOST: z.string().default('127.0.0.1'),
  /** Port of the admin API; 0 picks a free one. */
  ALTO_ADMIN_PORT: port(8081),
  /** Comma-separated base URIs under which models may be published (gs://bucket/prefix, paths). */
  ALTO_ALLOWED_ROOTS: list,
  /** Leader lease; a standby takes over within this time after the leader dies. */
  /** A repository whose model folders are published at start unless already published. */
  ALTO_PUBLISH_ON_START: z.string().min(1).optional(),
  ALTO_LEASE_MS: positiveInt(10_000),
  ALTO_RECONCILE_MS: positiveInt(1_000),
  /** How often each model's base URI is listed for new versions. */
  ALTO_WATCH_INTERVAL_MS: positiveInt(10_000),
  /** A worker silent for longer is dead: its assignments move. */
  ALTO_WORKER_TIMEOUT_MS: positiveInt(15_000),
  /** How long predictions failed by an unpublish are kept. */
  ALTO_RETENTION_SECONDS: positiveInt(86_400),
  ALTO_LOG_LEVEL: logLevel,
  /** Autoscaling: the backlog should drain within this many seconds (docs/autoscaling.md). */
  ALTO_SCALE_TARGET_DRAIN_S: positiveInt(30),
  /** Autoscaling: a pool without work this many seconds wants zero workers. */
  ALTO_SCALE_IDLE_S: positiveInt(300),
});

export type PublisherEnv = z.infer<typeof PublisherEnvSchema>;

export const loadEnv = (env: NodeJS.ProcessEnv = process.env, alsoKnown: string[] = []): PublisherEnv =>
  parseEnv(PublisherEnvSchema, env, { alsoKnown });
