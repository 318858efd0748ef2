// The leader lease and fenced writes against a real redis-server.
import { Batch, ControlStore, controlKeys } from '@alto/control';
import { connect } from '@alto/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testPrefix } from './support/fleet.ts';
import { waitFor } from './support/wait.ts';

describe('leader lease', () => {
  const keys = controlKeys(testPrefix('lease'));
  let redis: Redis;
  let store: ControlStore;

  beforeAll(async () => {
    redis = await connect(inject('redisUrl'), { name: 'test' });
    store = new ControlStore(redis, keys);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('lets one candidate lead at a time, renews without a new epoch, and fences writes of a deposed leader', async () => {
    const a = await store.lease('a', 300);
    expect(a).toBeGreaterThan(0);
    expect(await store.lease('b', 300)).toBe(0);
    expect(await store.lease('a', 300)).toBe(a);
    expect(await store.commit('a', new Batch().set(keys.states, 'm', { by: 'a' }))).toBe(true);
    expect(await store.commit('b', new Batch().set(keys.states, 'm', { by: 'b' }))).toBe(false);
    expect(JSON.parse((await redis.hget(keys.states, 'm'))!)).toEqual({ by: 'a' });
    // a stops renewing (paused, cut off): b takes over with a new epoch once the lease expires.
    const b = await waitFor(async () => (await store.lease('b', 5000)) || undefined, { what: 'b leads' });
    expect(b).toBe(a + 1);
    expect(
      await store.commit('a', new Batch().set(keys.states, 'm', { by: 'a, late' }).publish(keys.catalogChannel, '*')),
    ).toBe(false);
    expect(JSON.parse((await redis.hget(keys.states, 'm'))!)).toEqual({ by: 'a' });
    // A clean stop hands over at once.
    await store.resign('b');
    expect(await store.leader()).toBeNull();
    expect(await store.lease('a', 300)).toBe(b + 1);
  });
});
