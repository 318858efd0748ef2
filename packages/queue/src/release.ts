// Handing a dead worker's entries over at once. When a worker dies, its unacknowledged
// entries would wait out the visibility timeout before another worker takes them. Marking
// them long idle (still owned by the dead worker, delivery count unchanged) lets the next
// XAUTOCLAIM of a live worker take them at once. Not a takeover itself: the live workers do that.
import type { Redis } from 'ioredis';
import { GROUP } from './keys.ts';

/** Idle time given to a dead consumer's entries: past any visibility timeout. */
const LONG_IDLE_MS = 7 * 24 * 3600 * 1000;
const PAGE = 1000;

/**
 * Marks every entry `consumer` holds in `streams` long idle; returns how many. Streams that
 * do not exist, or have no consumer group yet, hold none.
 */
export async function releasePending(redis: Redis, streams: Iterable<string>, consumer: string): Promise<number> {
  let released = 0;
  for (const stream of new Set(streams)) {
    if ((await redis.exists(stream)) === 0) continue;
    for (;;) {
      const pending = (await redis.xpending(stream, GROUP, '-', '+', PAGE, consumer).catch(() => [])) as [
        string,
        string,
        number,
        number,
      ][];
      const ids = pending.map((p) => p[0]);
      if (ids.length === 0) break;
      await redis.xclaim(stream, GROUP, consumer, 0, ...ids, 'IDLE', LONG_IDLE_MS, 'JUSTID');
      released += ids.length;
      if (ids.length < PAGE) break;
    }
  }
  return released;
}
