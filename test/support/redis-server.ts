// A real redis-server child on a free port, for tests; no persistence unless extra
// arguments ask for it. A thin shape over @alto/procs, which the fleet and bench share.
import type { ChildProcess } from 'node:child_process';
import { startRedis as startRedisServer } from '@alto/procs';

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
