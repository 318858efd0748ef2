// Whether the gateway can take new work: Redis answers, its memory is below the high-water
// mark, and the catalog can be read. One answer for /readyz, OIP's health/ready and gRPC health.
import { AltoError } from '@alto/protocol';
import type { MemoryGauge, ModelRegistry } from '@alto/queue';
import type { Redis } from 'ioredis';

export type Readiness = { ready: true; models: number } | { ready: false; reason: string };

export async function readiness(d: { redis: Redis; memory?: MemoryGauge; models: ModelRegistry }): Promise<Readiness> {
  try {
    await d.redis.ping();
    // Past the high-water mark new predictions are refused: not ready for new work.
    const full = await d.memory?.admit().then(
      () => undefined,
      (err: unknown) => err,
    );
    if (full instanceof AltoError) return { ready: false, reason: full.message };
    return { ready: true, models: (await d.models.list()).length };
  } catch (err) {
    return { ready: false, reason: (err as Error).message };
  }
}
