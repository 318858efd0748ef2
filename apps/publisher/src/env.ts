// The publisher's configuration, parsed once from the environment.
import { hostname } from 'node:os';
import {
  commaList,
  keyPrefix,
  logLevel,
  parseEnv,
  port,
  positiveInt,
  redisCluster,
  redisUrl,
  redisTls,
} from '@alto/config';
import { z } from 'zod';
import { parseAdminTokens, type AdminToken } from './admin-tokens.ts';
import { trustList } from './client-address.ts';

const list = commaList;

export const PublisherEnvSchema = z.object({
  REDIS_URL: redisUrl,
  /** Use the Redis Cluster client: REDIS_URL then lists seed nodes, comma-separated. */
  ALTO_REDIS_CLUSTER: redisCluster,
  /** TLS to Redis (rediss://): CA, client certificate and key files. */
  ...redisTls,
  ALTO_PREFIX: keyPrefix,
  /** Identity in the leader election; unique per publisher process. */
  ALTO_PUBLISHER_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]+$/)
    .default(`${hostname()}-${process.pid}`),
  /** Bearer token of the admin API. Unset: every admin request is refused. */
  ALTO_ADMIN_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  /**
   * More admin tokens, each named and scoped: `name:scope:secret,...`, scope `read` or `write`,
   * a secret of 16+ characters or `sha256:<hex digest>` (docs/security.md). ALTO_ADMIN_TOKEN
   * joins them as `default:write`.
   */
  ALTO_ADMIN_TOKENS: z
    .string()
    .optional()
    .transform((s, ctx): AdminToken[] => {
      try {
        return parseAdminTokens(s ?? '');
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** A file of admin tokens, one `name:scope:secret` per line (e.g. a mounted secret). */
  ALTO_ADMIN_TOKENS_FILE: z.string().min(1).optional(),
  /**
   * Addresses or CIDRs whose `X-Forwarded-For` names the client (the gateways that pass
   * /v1/admin on), comma-separated. Failed admin logins are limited, and actions audited, per
   * client address.
   */
  ALTO_ADMIN_TRUSTED_PROXIES: list
    .transform((l) => (l.length > 0 ? l : ['127.0.0.1', '::1']))
    .superRefine((l, ctx) => {
      try {
        trustList(l);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
  /** Failed admin authentications allowed per client address per ALTO_ADMIN_AUTH_WINDOW_MS. */
  ALTO_ADMIN_AUTH_FAILURES: positiveInt(10),
  ALTO_ADMIN_AUTH_WINDOW_MS: positiveInt(60_000),
  /** Events kept in the audit log (about: the stream is trimmed lazily). */
  ALTO_AUDIT_MAX_EVENTS: positiveInt(100_000),
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
