// Redis connections — one Redis or a Redis Cluster, chosen by configuration — and the
// translation of connection failures into `redis_unavailable`. Every component connects
// here, so the mode, the seeds and the options are decided in one place.
import { AltoError } from '@alto/protocol';
import { Cluster, Redis, ReplyError, type ClusterNode, type RedisOptions } from 'ioredis';
import { isOutOfMemory, storageFull } from './memory.ts';

export interface ConnectOptions {
  /** Name shown in CLIENT LIST. */
  name: string;
  /**
   * Use ioredis's Cluster client: `url` is then a comma-separated list of seed nodes
   * (`redis://a:7000,b:7001`; the first URL's credentials and scheme apply to all).
   * @default false
   */
  cluster?: boolean;
  /**
   * Fail commands at once while disconnected instead of queueing them, and bound each
   * command's time: what a request-serving process wants. Not for blocking reads.
   * @default false
   */
  failFast?: boolean;
  /** Per-command timeout with failFast. @default 1000 */
  commandTimeoutMs?: number;
  /**
   * In cluster mode, subscribe to shard channels (SSUBSCRIBE) through a subscriber connection
   * per master, each following its slots across failovers (ioredis's `shardedSubscribers`).
   * For the connection that takes completion notices; nothing to do for a single Redis.
   * @default false
   */
  shardedSubscribers?: boolean;
}

/** Reconnect forever with a capped backoff: Redis outages end, processes should not. */
const backoff = (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000);

/** How each connection was made, so connectLike can make another the same way. */
const made = new WeakMap<object, { url: string; options: ConnectOptions }>();

/**
 * Connects and resolves once the connection is ready; rejects if Redis is unreachable, or is
 * a cluster node while `cluster` is off (or the reverse), with one line saying what to set.
 *
 * The result is typed `Redis` in both modes: ioredis's Cluster has the same command surface
 * (commands, pipeline, multi, defineCommand, pub/sub, duplicate, status), which is all Alto
 * uses. In cluster mode every multi-key command, MULTI and pipeline must stay in one slot.
 */
export async function connect(url: string, options: ConnectOptions): Promise<Redis> {
  const redis = options.cluster ? await connectCluster(url, options) : await connectSingle(url, options);
  made.set(redis, { url, options });
  return redis;
}

/**
 * Another connection to the same Redis, in the same mode, as `existing` (made by connect):
 * for subscribers and blocking readers. `options` replace the ones `existing` was made with.
 */
export async function connectLike(existing: Redis, options: Omit<ConnectOptions, 'cluster'>): Promise<Redis> {
  const how = made.get(existing);
  if (how === undefined) throw new Error('connectLike: the connection was not made by connect()');
  return connect(how.url, { ...options, cluster: how.options.cluster ?? false });
}

/** True for a connection in cluster mode. */
export const isCluster = (redis: Redis): boolean => (redis as unknown as { isCluster?: boolean }).isCluster === true;

const CLUSTER_HINT = 'set ALTO_REDIS_CLUSTER=true (REDIS_URL may list several seed nodes, comma-separated)';
const SINGLE_HINT = 'unset ALTO_REDIS_CLUSTER, or point REDIS_URL at the nodes of a Redis Cluster';

async function connectSingle(url: string, options: ConnectOptions): Promise<Redis> {
  const seeds = splitSeeds(url);
  if (seeds.length > 1) {
    throw new AltoError(
      'redis_unavailable',
      `REDIS_URL lists ${seeds.length} nodes but ALTO_REDIS_CLUSTER is off; ${CLUSTER_HINT}, or give one URL`,
    );
  }
  const extra: RedisOptions = options.failFast
    ? { enableOfflineQueue: false, commandTimeout: options.commandTimeoutMs ?? 1000, maxRetriesPerRequest: 0 }
    : { maxRetriesPerRequest: null };
  const redis = new Redis(url, {
    connectionName: options.name,
    lazyConnect: true,
    retryStrategy: backoff,
    ...extra,
  });
  // Errors are surfaced through commands; without a listener ioredis logs each one.
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new AltoError(
      'redis_unavailable',
      `cannot reach Redis at ${redactUrl(url)}: ${(err as Error).message}`,
      true,
    );
  }
  // A cluster node answers the keys of its own slots and MOVED for every other: it would work
  // for some models and not others. Refused here, with the setting that fixes it.
  const info = await redis.info('cluster').catch(() => '');
  if (/cluster_enabled:1/.test(info)) {
    redis.disconnect();
    throw new AltoError('redis_unavailable', `Redis at ${redactUrl(url)} is a Redis Cluster node; ${CLUSTER_HINT}`);
  }
  return redis;
}

async function connectCluster(url: string, options: ConnectOptions): Promise<Redis> {
  const seeds = splitSeeds(url);
  const first = new URL(seeds[0]!);
  const nodes: ClusterNode[] = seeds.map((seed) => {
    const u = new URL(seed);
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) };
  });
  const redisOptions: RedisOptions = {
    connectionName: options.name,
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
    ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
    ...(options.failFast
      ? { commandTimeout: options.commandTimeoutMs ?? 1000, maxRetriesPerRequest: 0 }
      : { maxRetriesPerRequest: null }),
  };
  const cluster = new Cluster(nodes, {
    lazyConnect: true,
    clusterRetryStrategy: backoff,
    enableOfflineQueue: !options.failFast,
    // After a failover the promoted replica answers within a few seconds; MOVED and
    // CLUSTERDOWN in between are retried by ioredis rather than surfaced.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    slotsRefreshTimeout: 2000,
    ...(options.shardedSubscribers ? { shardedSubscribers: true } : {}),
    redisOptions,
  });
  let last: string | undefined;
  cluster.on('error', (err: Error & { lastNodeError?: Error }) => {
    last = err.lastNodeError?.message ?? err.message;
  });
  try {
    await cluster.connect();
  } catch (err) {
    cluster.disconnect();
    if (last !== undefined && /cluster support disabled/i.test(last)) {
      throw new AltoError('redis_unavailable', `Redis at ${redactUrl(url)} is not a Redis Cluster; ${SINGLE_HINT}`);
    }
    throw new AltoError(
      'redis_unavailable',
      `cannot reach the Redis Cluster at ${redactUrl(url)}: ${last ?? (err as Error).message}`,
      true,
    );
  }
  return cluster as unknown as Redis;
}

/** The seeds of a REDIS_URL, each as a URL: `host:port` after the first takes its scheme and credentials. */
export function splitSeeds(url: string): string[] {
  const parts = url
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length === 0) return [url];
  const first = parts[0]!;
  const scheme = /^(rediss?:\/\/(?:[^@/]*@)?)/.exec(first)?.[1] ?? 'redis://';
  return parts.map((p, i) => (i === 0 || /^[a-z]+:\/\//i.test(p) ? p : `${scheme}${p}`));
}

export function redactUrl(url: string): string {
  if (url.includes(',')) return splitSeeds(url).map(redactUrl).join(',');
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/** Node's socket errors (`err.code`): the network between this process and Redis. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * Error replies by which Redis says it cannot serve now: the first word of a ReplyError.
 * MOVED and ASK reach Alto only from a pipeline the Cluster client did not redirect (one
 * that mixes a script with WAIT): the slot moved, the command did not run, a retry can help.
 */
const UNAVAILABLE_REPLIES = new Set(['LOADING', 'MASTERDOWN', 'CLUSTERDOWN', 'TRYAGAIN', 'MOVED', 'ASK']);

/** A cluster node's answer that a key's slot is served elsewhere: the command did not run. */
export const isRedirect = (err: unknown): boolean =>
  err instanceof ReplyError && /^(MOVED|ASK) /.test((err as Error).message);

/**
 * Relearns which node serves which slot, at once (the Cluster client otherwise does every
 * 5 s, or when a single command is redirected). Nothing to do for a single Redis.
 */
export function refreshSlots(redis: Redis): Promise<void> {
  if (!isCluster(redis)) return Promise.resolve();
  return new Promise((resolve) => (redis as unknown as Cluster).refreshSlotsCache(() => resolve()));
}

/**
 * redis-errors' classes for a command that never got its reply because the connection
 * went: AbortError, its InterruptError, and ioredis's MaxRetriesPerRequestError. They are
 * not exported by ioredis; each names itself by its class (`name` is the constructor's).
 */
const ABORTED = new Set(['AbortError', 'InterruptError', 'MaxRetriesPerRequestError']);

/**
 * ioredis's refusals of a command on a connection that is not usable, which it raises as
 * plain Errors with no type or code to test: compared whole, as ioredis spells them.
 */
const IOREDIS_REFUSALS = new Set([
  'Connection is closed.',
  "Stream isn't writeable and enableOfflineQueue options is false",
  'Command timed out',
  'connect ETIMEDOUT',
  // The Cluster client's, while it (re)learns the slots or no node is reachable.
  "Cluster isn't ready and enableOfflineQueue options is false",
  'None of startup nodes is available',
  'Failed to refresh slots cache.',
]);

/**
 * True for errors that mean "Redis is not there right now" rather than a bug: decided by the
 * error's type (an AltoError 'redis_unavailable', an aborted command, a socket error, a
 * LOADING-like reply) and, given the connection the command ran on, by its state (any
 * failure while it is not 'ready').
 */
export function isRedisUnavailable(err: unknown, connection?: Pick<Redis, 'status'>): boolean {
  if (err instanceof AltoError) return err.code === 'redis_unavailable';
  if (connection !== undefined && connection.status !== 'ready') return true;
  if (!(err instanceof Error)) return false;
  if (err instanceof ReplyError) return UNAVAILABLE_REPLIES.has(err.message.split(' ', 1)[0]!);
  if (ABORTED.has(err.name)) return true;
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return IOREDIS_REFUSALS.has(err.message);
}

/**
 * Rewrites a connection failure as `redis_unavailable` and an OOM reply as `storage_full`;
 * returns other errors unchanged.
 */
export function asAltoError(err: unknown, connection?: Pick<Redis, 'status'>): unknown {
  // Redis refused a write for memory (noeviction): the same 503 the high-water mark answers.
  if (isOutOfMemory(err)) return storageFull('Redis refused a write: used memory > maxmemory');
  if (!(err instanceof AltoError) && isRedisUnavailable(err, connection)) {
    return new AltoError(
      'redis_unavailable',
      `Redis is unavailable: ${err instanceof Error ? err.message : String(err)}`,
      true,
    );
  }
  return err;
}

/**
 * Refuses a Redis that may evict keys under memory pressure: an evicted stream entry or
 * prediction is an accepted request silently lost. Alto needs `maxmemory-policy noeviction`
 * (Redis then refuses writes when full, which the gateway reports as an error instead).
 */
export async function assertNoEviction(redis: Redis): Promise<void> {
  // In a cluster every master holds queued requests: each is asked.
  const nodes = isCluster(redis) ? (redis as unknown as Cluster).nodes('master') : [redis];
  for (const node of nodes) await assertNodeNoEviction(node);
}

async function assertNodeNoEviction(redis: Redis): Promise<void> {
  const info = await redis.info('memory');
  const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
  if (policy !== undefined && policy !== 'noeviction') {
    throw new AltoError(
      'redis_unavailable',
      `Redis has maxmemory-policy '${policy}', which may evict queued requests and results; ` +
        `set it to 'noeviction' (CONFIG SET maxmemory-policy noeviction, or in redis.conf)`,
    );
  }
}
