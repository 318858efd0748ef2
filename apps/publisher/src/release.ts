// When a worker dies, its unacknowledged entries are handed over at once (see the queue's
// releasePending): here, the streams of every model version the dead worker reported.
import type { WorkerReport } from '@alto/control';
import { modelStreams, releasePending, type Keys } from '@alto/queue';
import type { Redis } from 'ioredis';

export async function releaseEntries(redis: Redis, keys: Keys, dead: WorkerReport): Promise<number> {
  const streams = dead.models.flatMap((m) => [
    ...modelStreams(keys, m.name).all,
    ...modelStreams(keys, m.name, m.version).all,
  ]);
  return releasePending(redis, streams, dead.id);
}
