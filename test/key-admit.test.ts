// key-admit-2.lua on a real redis-server: the token bucket's burst, refill and Retry-After,
// the queued limit and its release, and the order of the two checks (a refused queued request
// takes no token).
import { admitKey, releaseKey, type ApiKeyRecord } from '@alto/queue';
import { describe, expect, it } from 'vitest';
import { queueRedis } from './support/redis-fixture.ts';
import { waitFor } from './support/wait.ts';

const record = (id: string, limits: Partial<ApiKeyRecord>): ApiKeyRecord => ({
  id,
  name: id,
  owner: 'o',
  created_at: new Date().toISOString(),
  sha256: '0'.repeat(64),
  models: null,
  rate: null,
  burst: null,
  max_queued: null,
  revoked_at: null,
  ...limits,
});

describe('key-admit-2.lua', () => {
  const q = queueRedis('keyadmit');

  it('admits a burst, refuses the next with the time a token takes, and refills at the rate', async () => {
    const key = record('a00000000001', { rate: 2, burst: 3 });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push(await admitKey(q.redis, q.keys, key, `m.${i}`, 60_000));
    expect(codes.slice(0, 3)).toEqual([{ code: 'ADMITTED' }, { code: 'ADMITTED' }, { code: 'ADMITTED' }]);
    const refused = codes[3]!;
    expect(refused.code).toBe('RATE_LIMITED');
    // One token at 2 per second: at most 500 ms away.
    expect(refused.code === 'RATE_LIMITED' && refused.retryMs).toBeGreaterThan(0);
    expect(refused.code === 'RATE_LIMITED' && refused.retryMs).toBeLessThanOrEqual(500);
    const again = await waitFor(async () => {
      const r = await admitKey(q.redis, q.keys, key, 'm.4', 60_000);
      return r.code === 'ADMITTED' ? r : undefined;
    });
    expect(again.code).toBe('ADMITTED');
    const last = await q.redis.hget(q.keys.apiKeyBucket(key.id), 'last_used');
    expect(Number(last)).toBeGreaterThan(Date.now() - 10_000);
  });

  it('refuses past max_queued without taking a token, and admits again once one is released', async () => {
    const key = record('a00000000002', { rate: 1, burst: 3, max_queued: 2 });
    expect((await admitKey(q.redis, q.keys, key, 'm.1', 60_000)).code).toBe('ADMITTED');
    expect((await admitKey(q.redis, q.keys, key, 'm.2', 60_000)).code).toBe('ADMITTED');
    expect((await admitKey(q.redis, q.keys, key, 'm.3', 60_000)).code).toBe('QUEUE_LIMIT');
    expect((await admitKey(q.redis, q.keys, key, 'm.3', 60_000)).code).toBe('QUEUE_LIMIT');
    await releaseKey(q.redis, q.keys, key.id, ['m.1']);
    // The third token is still there: the refusals took none.
    expect((await admitKey(q.redis, q.keys, key, 'm.3', 60_000)).code).toBe('ADMITTED');
    expect(await q.redis.zrange(q.keys.apiKeyOutstanding(key.id), 0, -1)).toEqual(['m.2', 'm.3']);
  });

  it('stops counting an id after its hold time', async () => {
    const key = record('a00000000003', { max_queued: 1 });
    expect((await admitKey(q.redis, q.keys, key, 'm.1', 50)).code).toBe('ADMITTED');
    expect((await admitKey(q.redis, q.keys, key, 'm.2', 50)).code).toBe('QUEUE_LIMIT');
    await waitFor(async () => (await admitKey(q.redis, q.keys, key, 'm.2', 60_000)).code === 'ADMITTED');
  });
});
