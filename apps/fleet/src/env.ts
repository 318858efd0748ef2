// The all-in-one launcher's configuration. It also accepts every gateway, publisher and
// worker variable and hands each child only the ones that child knows.
import { ConfigError, logLevel, parseEnv, positiveInt, redisCluster, redisSeeds } from '@alto/config';
import { DispatcherEnvSchema, webhookKeys } from '@alto/dispatcher/env';
import { GatewayEnvSchema } from '@alto/gateway/env';
import { PublisherEnvSchema } from '@alto/publisher/env';
import { WorkerEnvSchema } from '@alto/worker/env';
import { z } from 'zod';

export const FleetEnvSchema = z.object({
  /** Use this Redis instead of starting one (for a Redis Cluster: its nodes, comma-separated). */
  REDIS_URL: redisSeeds.optional(),
  /** REDIS_URL is a Redis Cluster: every process uses the Cluster client. */
  ALTO_REDIS_CLUSTER: redisCluster,
  /** Data directory of the Redis the launcher starts (AOF on). */
  ALTO_REDIS_DIR: z.string().default('.alto/redis'),
  /** Port of that Redis; a free one is chosen when 6379 is taken. */
  ALTO_REDIS_PORT: z.coerce.number().int().min(0).max(65535).default(6379),
  /** Repository whose models are published at start (the demo models when unset). */
  ALTO_MODEL_REPOSITORY: z.string().optional(),
  /** Worker processes to start. */
  ALTO_WORKERS: positiveInt(1),
  /** Autoscaling (docs/autoscaling.md): the fewest worker processes; set with ALTO_WORKERS_MAX instead of ALTO_WORKERS. */
  ALTO_WORKERS_MIN: z.coerce.number().int().min(0).optional(),
  /** Autoscaling: the most worker processes the launcher runs on the publisher's scaling signal. */
  ALTO_WORKERS_MAX: z.coerce.number().int().positive().optional(),
  ALTO_LOG_LEVEL: logLevel,
});

export type FleetEnv = z.infer<typeof FleetEnvSchema> & {
  /** Set when ALTO_WORKERS_MIN or ALTO_WORKERS_MAX is: workers follow the scaling signal within [min, max]. */
  autoscale?: { min: number; max: number };
};

export const GATEWAY_VARS = Object.keys(GatewayEnvSchema.shape);
export const PUBLISHER_VARS = Object.keys(PublisherEnvSchema.shape);
// Workers here are managed by the publisher: a repository of their own would make them static.
export const WORKER_VARS = Object.keys(WorkerEnvSchema.shape).filter(
  (k) => k !== 'ALTO_MODEL_REPOSITORY' && k !== 'ALTO_MODELS',
);
export const DISPATCHER_VARS = Object.keys(DispatcherEnvSchema.shape);

export function loadEnv(env: NodeJS.ProcessEnv = process.env): FleetEnv {
  const parsed = parseEnv(FleetEnvSchema, env, {
    alsoKnown: [...GATEWAY_VARS, ...WORKER_VARS, ...PUBLISHER_VARS, ...DISPATCHER_VARS, 'ALTO_MODELS'],
  });
  // A webhook secret given is checked here, so a bad one stops `npm start` before anything starts.
  if (env.ALTO_WEBHOOK_SECRET) webhookKeys(env.ALTO_WEBHOOK_SECRET);
  // The launcher's own Redis is a single node: a cluster is always one the user runs.
  if (parsed.ALTO_REDIS_CLUSTER && parsed.REDIS_URL === undefined) {
    throw new ConfigError([
      'ALTO_REDIS_CLUSTER: true needs REDIS_URL listing the Redis Cluster nodes (redis://a:7000,b:7001)',
    ]);
  }
  return { ...parsed, ...autoscaleRange(parsed, env) };
}

/** The autoscaling range, when ALTO_WORKERS_MIN or ALTO_WORKERS_MAX is set; unset, the fleet runs ALTO_WORKERS. */
function autoscaleRange(parsed: z.infer<typeof FleetEnvSchema>, env: NodeJS.ProcessEnv): Pick<FleetEnv, 'autoscale'> {
  const { ALTO_WORKERS_MIN: min, ALTO_WORKERS_MAX: max } = parsed;
  if (min === undefined && max === undefined) return {};
  const problems: string[] = [];
  if (env.ALTO_WORKERS !== undefined)
    problems.push('ALTO_WORKERS: a fixed count and ALTO_WORKERS_MIN/MAX (autoscaling) exclude each other; set one');
  const lo = min ?? 0;
  const hi = max ?? Math.max(lo, 1);
  if (hi < lo) problems.push(`ALTO_WORKERS_MAX: expected at least ALTO_WORKERS_MIN (${lo}), got ${hi}`);
  if (problems.length) throw new ConfigError(problems);
  return { autoscale: { min: lo, max: hi } };
}

/** The environment for a child: everything that is not Alto's, plus the Alto variables it knows. */
export function childEnv(
  env: NodeJS.ProcessEnv,
  known: readonly string[],
  extra: Record<string, string>,
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('ALTO_') || known.includes(k)) out[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) if (known.includes(k) || !k.startsWith('ALTO_')) out[k] = v;
  return out;
}
