// Redis connections and the translation of connection failures into `redis_unavailable`.
import { AltoError } from '@alto/protocol';
import { Redis, type RedisOptions } from 'ioredis';

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
    throw new AltoError('redis_unavailable', `cannot reach Redis at ${redactUrl(url)}: ${(err as Error).message}`, true);
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

const CONNECTION_ERRORS = [
  /Connection is closed/i,
  /Stream isn't writeable/i,
  /Command timed out/i,
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND/,
  /max retries per request/i,
  /LOADING/,
];

/** True for errors that mean "Redis is not there right now" rather than a bug. */
export function isRedisUnavailable(err: unknown): boolean {
  if (err instanceof AltoError) return err.code === 'redis_unavailable';
  const message = err instanceof Error ? err.message : String(err);
  return CONNECTION_ERRORS.some((re) => re.test(message));
}

/** Rewrites a connection failure as `redis_unavailable`; returns other errors unchanged. */
export function asAltoError(err: unknown): unknown {
  if (!(err instanceof AltoError) && isRedisUnavailable(err)) {
    return new AltoError('redis_unavailable', `Redis is unavailable: ${(err as Error).message}`, true);
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
