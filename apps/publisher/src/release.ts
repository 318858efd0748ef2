// When a worker dies, its unacknowledged entries would wait out the visibility timeout
// before another worker takes them. Marking them long idle (still owned by the dead worker,
// delivery count unchanged) lets the next XAUTOCLAIM of a live worker take them at once.
import type { WorkerReport } from '@alto/control';
import { PRIORITIES } from '@alto/protocol';
import { GROUP, type Keys } from '@alto/queue';
import type { Redis } from 'ioredis';

const LONG_IDLE_MS = 7 * 24 * 3600 * 1000;

export async function releaseEntries(redis: Redis, keys: Keys, dead: WorkerReport): Promise<number> {
  let released = 0;
  const streams = new Set<string>();
  for (const m of dead.models) {
    for (const priority of PRIORITIES) {
      streams.add(keys.stream(m.name, priority));
      streams.add(keys.versionStream(m.name, m.version, priority));
    }
  }
  for (const stream of streams) {
    if ((await redis.exists(stream)) === 0) continue;
    for (;;) {
      const pending = (await redis.xpending(stream, GROUP, '-', '+', 1000, dead.id).catch(() => [])) as [string, string, number, number][];
      const ids = pending.map((p) => p[0]);
      if (ids.length === 0) break;
      await redis.xclaim(stream, GROUP, dead.id, 0, ...ids, 'IDLE', LONG_IDLE_MS, 'JUSTID');
      released += ids.length;
      if (ids.length < 1000) break;
    }
  }
  return released;
}
