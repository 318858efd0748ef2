// The all-in-one fleet's own redis-server: AOF on, noeviction, data in a project-local
// directory, on the preferred port or a free one when that is taken. Installing a missing
// redis-server and starting it are @alto/procs' (shared with the tests and the benchmark).
import { startRedis, type RedisServer } from '@alto/procs';
import type { Logger } from '@alto/telemetry';

export async function startLocalRedis(dir: string, preferredPort: number, log: Logger): Promise<RedisServer> {
  const redis = await startRedis({
    port: preferredPort,
    orFreePort: true,
    dir,
    appendfsync: 'everysec',
    args: ['--maxmemory-policy', 'noeviction'],
    // Own process group, so Ctrl-C does not stop Redis before the workers have drained.
    detached: true,
    onInstall: (message) => log.info(message),
    timeoutMs: 60_000,
  });
  log.info({ port: redis.port, dir }, 'redis-server started (AOF on)');
  return redis;
}
