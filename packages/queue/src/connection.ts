// Redis connections and the translation of connection failures into `redis_unavailable`.
import { AltoError } from '@alto/protocol';
import { Redis, ReplyError, type RedisOptions } from 'ioredis';

export interface ConnectOptions {
  /** Name shown in CLIENT LIST. */
  name: string;
  /**
   * Fail commands at once while disconnected instead of queueing them, and bound each
   * command's time: what a request-serving process wants. Not for blocking reads.
   * @default false
   */
  failFast?: boolean;
  /** Per-command timeout with failFast. @default 1000 */
  commandTimeoutMs?: number;
}

/** Connects and resolves once the connection is ready; rejects if Redis is unreachable. */
export async function connect(url: string, options: ConnectOptions): Promise<Redis> {
  const extra: RedisOptions = options.failFast
    ? { enableOfflineQueue: false, commandTimeout: options.commandTimeoutMs ?? 1000, maxRetriesPerRequest: 0 }
    : { maxRetriesPerRequest: null };
  const redis = new Redis(url, {
    connectionName: options.name,
    lazyConnect: true,
    // Reconnect forever with a capped backoff: Redis outages end, processes should not.
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
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
  return redis;
}

export function redactUrl(url: string): string {
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

/** Error replies by which Redis says it cannot serve now: the first word of a ReplyError. */
const UNAVAILABLE_REPLIES = new Set(['LOADING', 'MASTERDOWN', 'CLUSTERDOWN', 'TRYAGAIN']);

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

/** Rewrites a connection failure as `redis_unavailable`; returns other errors unchanged. */
export function asAltoError(err: unknown, connection?: Pick<Redis, 'status'>): unknown {
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
