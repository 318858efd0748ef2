// API keys' usage totals on a Redis Cluster: one batch's usage of keys whose hash tags live on
// different masters is added in one call (a pipeline per key, each on its key's node; no
// cross-slot command), and every total reads back exact. Runs against the run's local 3+3
// cluster (cluster-setup.ts).
import { randomBytes } from 'node:crypto';
import { addKeyUsage, connect, keys as makeKeys, readKeyUsage, type UsageDelta } from '@alto/queue';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testPrefix } from './support/fleet.ts';

describe('API key usage on a cluster', () => {
  const keys = makeKeys(testPrefix('clusterusage'));
  let redis: Redis;

  beforeAll(async () => {
    redis = await connect(inject('clusterUrl'), { name: 'test', cluster: true });
  });
  afterAll(() => redis?.disconnect());

  it('adds one batch of many keys across masters, and reads every total back exact', async () => {
    const ids = Array.from({ length: 12 }, () => randomBytes(6).toString('hex'));
    // Where each key's hash lives: the test only means something if they span masters.
    const cluster = redis as unknown as Cluster;
    const slots = await Promise.all(ids.map((id) => redis.cluster('KEYSLOT', keys.apiKeyUsage(id)) as Promise<number>));
    const ranges = await redis.cluster('SLOTS');
    const masterOf = (slot: number) => {
      const [, , master] = ranges.find(([lo, hi]) => slot >= lo && slot <= hi)!;
      return `${master![0]}:${master![1]}`;
    };
    const masters = new Set(slots.map(masterOf));
    expect(masters.size).toBeGreaterThan(1);
    expect(cluster.nodes('master').length).toBe(3);

    const deltas: UsageDelta[] = ids.flatMap((key, i) => [
      { key, model: 'tiny', predictions: i + 1, computeSeconds: 0.001 * (i + 1) },
      { key, model: 'other', predictions: 1, computeSeconds: 0.5 },
      { key, model: 'tiny', predictions: 1, computeSeconds: 0.25 },
    ]);
    await addKeyUsage(redis, keys, deltas);
    await addKeyUsage(redis, keys, deltas);
    for (const [i, id] of ids.entries()) {
      const u = await readKeyUsage(redis, keys, id);
      expect(u.predictions).toEqual({ tiny: 2 * (i + 2), other: 2 });
      expect(u.compute_seconds.tiny).toBeCloseTo(2 * (0.001 * (i + 1) + 0.25), 12);
      expect(u.compute_seconds.other).toBeCloseTo(1, 12);
    }
    // Usage of bootstrap and anonymous requests is not stored.
    await addKeyUsage(redis, keys, [{ key: 'bootstrap', model: 'tiny', predictions: 1, computeSeconds: 1 }]);
    expect(await redis.exists(keys.apiKeyUsage('bootstrap'))).toBe(0);
  });
});
