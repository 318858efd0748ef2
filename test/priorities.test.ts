// Request priorities: the consumer fills each batch from `high`, then `normal`, then `low`
// (real redis-server), low entries still get through a constant flood of high ones, and
// cancel, fail-queued, max_queue_length and queue depth see every priority. End to end, a
// real gateway and worker accept and compute prioritized requests.
import type { Priority } from '@alto/protocol';
import { RedisModelRegistry } from '@alto/queue';
import { describe, expect, inject, it } from 'vitest';
import { startGateway, startWorker, testPrefix } from './support/fleet.ts';
import { getJson, postJson } from './support/http.ts';
import { waitFor } from './support/wait.ts';
import { newPrediction, succeed } from './support/queue-kit.ts';
import { queueRedis } from './support/redis-fixture.ts';

describe('priorities in the queue', () => {
  const fx = queueRedis('priorities');
  const { keys } = fx;

  const consumer = async (model: string, lowFirstEvery = 1000) => {
    const c = fx.consumer(model, { lowFirstEvery });
    await c.ensureGroup();
    return c;
  };
  const enqueue = async (model: string, priority: Priority, extra: { maxQueueLength?: number } = {}) =>
    (
      await fx.store.enqueue({
        ...newPrediction(model),
        priority,
        ...extra,
      })
    ).id;

  it('fills a batch from high first, then normal, then low, each in arrival order', async () => {
    const c = await consumer('p1');
    const low = [await enqueue('p1', 'low'), await enqueue('p1', 'low')];
    const normal = [await enqueue('p1', 'normal'), await enqueue('p1', 'normal')];
    const high = [await enqueue('p1', 'high'), await enqueue('p1', 'high')];
    // A fx.blocking read too: streams that have entries are read in order, not one from each.
    const first = await c.read(3, 1000);
    expect(first.map((e) => e.predictionId)).toEqual([...high, normal[0]]);
    expect(first.map((e) => e.stream)).toEqual([
      keys.stream('p1', 'high'),
      keys.stream('p1', 'high'),
      keys.stream('p1'),
    ]);
    const second = await c.read(10, 1000);
    expect(second.map((e) => e.predictionId)).toEqual([normal[1], ...low]);
    // start and complete act on the stream each entry came from.
    const { run } = await c.start([...first, ...second]);
    expect(run).toHaveLength(6);
    expect(await succeed(c, run)).toEqual([]);
    for (const q of ['high', 'normal', 'low'] as const) expect(await fx.redis.xlen(keys.stream('p1', q))).toBe(0);
    expect(await c.pendingCount()).toBe(0);
    expect((await fx.store.get(low[1]!))!.status).toBe('succeeded');
  });

  it('a fx.blocking read wakes for any priority and never returns more than asked', async () => {
    const c = await consumer('p2');
    const waiting = c.read(1, 5000);
    const low = await enqueue('p2', 'low');
    const got = await waiting;
    expect(got.map((e) => e.predictionId)).toEqual([low]);
    await succeed(c, (await c.start(got)).run);
  });

  it('a constant flood of high does not starve low: each low entry is read within lowFirstEvery reads', async () => {
    const every = 4;
    const c = await consumer('p3', every);
    const lows = [await enqueue('p3', 'low'), await enqueue('p3', 'low'), await enqueue('p3', 'low')];
    const readsUntil = new Map<string, number>();
    for (let read = 1; read <= 3 * every && readsUntil.size < lows.length; read++) {
      // The flood: more high entries arrive than a batch takes, before every read.
      for (let i = 0; i < 3; i++) await enqueue('p3', 'high');
      const batch = await c.read(2, 1000);
      expect(batch).toHaveLength(2);
      for (const e of batch) if (lows.includes(e.predictionId)) readsUntil.set(e.predictionId, read);
      await succeed(c, (await c.start(batch)).run);
    }
    // Read 4 takes the two oldest low entries, read 8 the third.
    expect([...readsUntil.values()]).toEqual([every, every, 2 * every]);
    expect(await fx.redis.xlen(keys.stream('p3', 'high'))).toBeGreaterThan(0);
  });

  it('cancel, fail-queued, max_queue_length and queue depth cover every priority', async () => {
    const c = await consumer('p4');
    const high = await enqueue('p4', 'high', { maxQueueLength: 3 });
    const low = await enqueue('p4', 'low', { maxQueueLength: 3 });
    await enqueue('p4', 'normal', { maxQueueLength: 3 });
    await expect(enqueue('p4', 'low', { maxQueueLength: 3 })).rejects.toMatchObject({ code: 'queue_full' });
    expect((await new RedisModelRegistry(fx.redis, keys).status(['p4'])).get('p4')!.queueDepth).toBe(3);
    // A canceled low entry is deleted from the low stream: no worker reads it.
    expect((await fx.store.cancel(low, 60_000))!.status).toBe('canceled');
    expect(await fx.redis.xlen(keys.stream('p4', 'low'))).toBe(0);
    expect(await fx.store.failQueued('p4', 'model_unpublished', 'gone', 60_000)).toBe(2);
    expect((await fx.store.get(high))!.status).toBe('failed');
    expect(await fx.redis.xlen(keys.stream('p4', 'high'))).toBe(0);
    expect(await c.read(10, 0)).toEqual([]);
  });
});

describe('priorities end to end', () => {
  it('the gateway takes a priority, refuses an unknown one naming the field, and the worker computes all', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = testPrefix('prioritiese2e');
    const worker = await startWorker(redisUrl, prefix, { ALTO_MODELS: 'tiny', ALTO_PRIORITY_LOW_EVERY: '2' });
    const gateway = await startGateway(redisUrl, prefix);
    try {
      const body = (priority?: string) => ({
        input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.5) } },
        ...(priority ? { priority } : {}),
      });
      const bad = await postJson(`${gateway.url}/v1/models/tiny/predictions`, body('urgent'));
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/^field 'priority': .*"high".*"normal".*"low"/);
      const ids: string[] = [];
      for (const p of ['low', 'high', undefined, 'normal', 'low']) {
        const r = await postJson(`${gateway.url}/v1/models/tiny/predictions`, body(p));
        expect(r.status).toBe(202);
        ids.push(r.body.id);
      }
      for (const id of ids) {
        await waitFor(async () => (await getJson(`${gateway.url}/v1/predictions/${id}`)).body.status === 'succeeded', {
          what: id,
        });
      }
    } finally {
      await Promise.all([worker.kill(), gateway.kill()]);
    }
  });
});
