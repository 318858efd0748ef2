// Memory admission on a Redis Cluster: the gateway's gauge reads every master, and the
// fullest one decides (docs/deploy.md), so a model is refused while any master is past the
// high-water mark. Runs against the run's local 3+3 cluster (cluster-setup.ts); the one master
// bounded here is unbounded again before the file ends.
import { AltoError } from '@alto/protocol';
import { MemoryGauge, connect } from '@alto/queue';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const usedMemory = async (node: Redis) => Number(/used_memory:(\d+)/.exec(await node.info('memory'))![1]);

describe('Redis memory admission on a cluster', () => {
  let redis: Redis;
  let bounded: Redis | undefined;

  beforeAll(async () => {
    redis = await connect(inject('clusterUrl'), { name: 'test', cluster: true });
  });
  afterAll(async () => {
    await bounded?.config('SET', 'maxmemory', '0');
    redis?.disconnect();
  });

  it('refuses with storage_full when one master of three is past the high-water mark, and admits once it is not', async () => {
    const gauge = new MemoryGauge(redis, { highWater: 0.9, cacheMs: 0 });
    await expect(gauge.admit()).resolves.toBeUndefined();

    const masters = (redis as unknown as Cluster).nodes('master');
    expect(masters.length).toBe(3);
    bounded = masters[masters.length - 1]!;
    const used = await usedMemory(bounded);
    // ~95 % full: past the mark, with room left so nothing else on this master is refused.
    await bounded.config('SET', 'maxmemory', String(Math.ceil(used / 0.95)));
    const refused = await gauge.admit().catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(AltoError);
    expect((refused as AltoError).code).toBe('storage_full');
    expect((await gauge.read()).maxBytes).toBe(Math.ceil(used / 0.95));

    await bounded.config('SET', 'maxmemory', '0');
    await expect(gauge.admit()).resolves.toBeUndefined();
  });
});
