// The all-in-one fleet's own redis-server: AOF on, noeviction, data in a project-local
// directory, on the preferred port or a free one when that is taken. Installing a missing
// redis-server and starting it are @alto/procs' (shared with the tests and the benchmark).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startRedis, type RedisServer } from '@alto/procs';
import type { Logger } from '@alto/telemetry';

/** Another running fleet's Redis keeps its data in this directory. */
export class RedisDirInUseError extends Error {
  readonly code = 'redis_dir_in_use';
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `${dir} holds the Redis data of another running fleet (pid ${pid}); ` +
        'set ALTO_REDIS_DIR to another directory, or REDIS_URL to share its Redis',
    );
    this.name = 'RedisDirInUseError';
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Claims `dir` for this process's Redis: two redis-servers appending to one AOF would ruin
 * it. A claim left by a process that is gone is taken over. Returns the release function.
 */
export function claimRedisDir(dir: string): () => void {
  const data = resolve(dir);
  mkdirSync(data, { recursive: true });
  const file = join(data, 'fleet.pid');
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
        throw new RedisDirInUseError(data, pid);
      rmSync(file, { force: true });
    }
  }
}

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
    orElse: 'set REDIS_URL to an existing Redis',
    timeoutMs: 60_000,
  });
  log.info({ port: redis.port, dir }, 'redis-server started (AOF on)');
  return redis;
}
