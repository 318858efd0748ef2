// A real redis-server child on a free port, for tests; no persistence unless extra
// arguments ask for it. A thin shape over @alto/procs, which the fleet and bench share.
import type { ChildProcess } from 'node:child_process';
import { ensureRedisServer, startRedis as startRedisServer } from '@alto/procs';

export { freePort } from '@alto/procs';

export interface TestRedis {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A redis-server on `port` (a free one when unset) with `extraArgs` appended. */
export async function startRedis(port?: number, extraArgs: string[] = []): Promise<TestRedis> {
  const r = await startRedisServer({ port: port ?? 0, args: extraArgs });
  return { url: r.url, port: r.port, child: r.child, stop: r.stop };
}

/** A test project's setup line on stderr. */
export const say = (line: string) => process.stderr.write(`test setup: ${line}\n`);

/** Installs redis-server when missing (apt-get as root); nothing runs without it, so a failure stops the setup. */
export function requireRedisServer(): void {
  try {
    ensureRedisServer(say);
  } catch (err) {
    throw new Error(`test setup: ${(err as Error).message}`, { cause: err });
  }
}
