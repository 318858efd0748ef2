// The Redis layer against a real redis-server: enqueue, batch reads through the consumer
// group, outcomes, retention, completion notices and restart behaviour.
import { newPredictionId, type Tensor } from '@alto/protocol';
import {
  CompletionHub,
  DeadLetters,
  GROUP,
  asAltoError,
  connect,
  isRedisUnavailable,
  modelStreams,
  releasePending,
} from '@alto/queue';
import { describe, expect, it } from 'vitest';
import { waitFor } from './support/wait.ts';
import { newPrediction, succeed, tensor } from './support/queue-kit.ts';
import { queueRedis } from './support/redis-fixture.ts';
import { startRedis } from './support/redis-server.ts';

describe('queue', () => {
  const fx = queueRedis('queue');
  const { keys, url } = fx;

  const consumer = (model: string, name = 'c1', retentionMs = 60_000, maxDeliveries = 3) =>
    fx.consumer(model, { consumer: name, retentionMs, maxDeliveries });
  const enqueue = (model: string, v: number) => fx.store.enqueue(newPrediction(model, v));

  it('delivers queued requests as one batch, stores outcomes and empties the stream', async () => {
    const c = consumer('m1');
    await c.ensureGroup();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await enqueue('m1', i)).id);
    const batch = await c.read(10, 100);
    expect(batch.map((e) => e.predictionId)).toEqual(ids);
    const running = (await c.start(batch)).run;
    expect(running).toHaveLength(5);
    expect((await fx.store.get(ids[0]!))!.status).toBe('running');
    await succeed(c, running, { queueMs: 1, predictMs: 2 });
    const done = await fx.store.get(ids[3]!);
    expect(done).toMatchObject({ status: 'succeeded', batchSize: 5, queueMs: 1, predictMs: 2 });
    expect(new Float32Array(done!.output!.get('x')!.data.slice().buffer)[0]).toBe(3);
    expect(await fx.redis.xlen(keys.stream('m1'))).toBe(0);
    expect(await c.pendingCount()).toBe(0);
    const ttl = await fx.redis.pttl(keys.prediction('m1', ids[0]!));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('keeps requests queued before the first worker created the group', async () => {
    const first = await enqueue('m2', 1);
    const c = consumer('m2');
    await c.ensureGroup();
    expect((await c.read(10, 100)).map((e) => e.predictionId)).toEqual([first.id]);
  });

  it('gives a restarted consumer its own pending entries before new ones', async () => {
    const c = consumer('m3', 'same-name');
    await c.ensureGroup();
    const a = await enqueue('m3', 1);
    expect((await c.read(10, 100)).map((e) => e.predictionId)).toEqual([a.id]);
    const b = await enqueue('m3', 2);
    // A new process with the same consumer name: `a` was read but never acknowledged.
    const restarted = consumer('m3', 'same-name');
    expect((await restarted.read(10, 100)).map((e) => e.predictionId)).toEqual([a.id]);
    expect((await restarted.read(10, 100)).map((e) => e.predictionId)).toEqual([b.id]);
  });

  it('does not compute, and acknowledges, an entry whose prediction is gone', async () => {
    const c = consumer('m4');
    await c.ensureGroup();
    const p = await enqueue('m4', 1);
    await fx.redis.del(keys.prediction('m4', p.id));
    const batch = await c.read(10, 100);
    expect((await c.start(batch)).run).toEqual([]);
    expect((await fx.redis.xpending(keys.stream('m4'), GROUP))[0]).toBe(0);
  });

  it('discards an outcome for a prediction that is already terminal', async () => {
    const c = consumer('m5');
    await c.ensureGroup();
    const p = await enqueue('m5', 1);
    const batch = (await c.start(await c.read(10, 100))).run;
    await fx.redis.hset(keys.prediction('m5', p.id), 'status', 'canceled');
    await succeed(c, batch);
    expect((await fx.store.get(p.id))!.status).toBe('canceled');
  });

  /** A hub of gateway `gateway`, counting the notices it receives by channel. */
  const hubOf = async (gateway: string) => {
    const count = { own: 0, shared: 0 };
    const hub = new CompletionHub(await connect(url, { name: `test-sub-${gateway}` }), {
      keys,
      gateway,
      onNotice: (channel) => count[channel]++,
    });
    await hub.start();
    return { hub, count };
  };

  it('notifies a watch registered before enqueue even when completion precedes next()', async () => {
    const { hub, count } = await hubOf('g1');
    const c = consumer('m6');
    await c.ensureGroup();
    const id = newPredictionId('m6');
    const watch = hub.watch(id);
    const notify = await hub.listen('m6');
    expect(notify).toBe(keys.notices('m6', 'g1'));
    const tensors = new Map([['x', tensor(1)]]);
    await fx.store.enqueue({ id, model: 'm6', version: '1', format: 'json', tensors, notify });
    await succeed(c, (await c.start(await c.read(10, 100))).run);
    // Wait until the notice has certainly arrived, then ask: it must not be lost.
    await waitFor(() => count.own === 1 || undefined, { what: 'the notice received' });
    const started = Date.now();
    const signal = await watch.next(5000);
    expect(signal).toBe('done');
    expect(Date.now() - started).toBeLessThan(5000);
    watch.dispose();
    expect(hub.size).toBe(0);
    const other = hub.watch(newPredictionId('m6'));
    expect(await other.next(50)).toBe('timeout');
    other.dispose();
    await hub.stop();
  });

  it("a waited prediction's notice carries its finished record, a large one only the id; an unwaited one sends none", async () => {
    const { hub, count } = await hubOf('g1');
    const c = consumer('m6b');
    await c.ensureGroup();
    const notify = await hub.listen('m6b');
    const big: Tensor = { datatype: 'FP32', shape: [1, 8192], data: new Uint8Array(4 * 8192) };
    const small = new Map([['x', tensor(7)]]);
    const cases = [
      { notify: undefined, tensors: small },
      { notify, tensors: small },
      { notify, tensors: new Map([['x', big]]) },
    ];
    const watches = [];
    for (const k of cases) {
      const id = newPredictionId('m6b');
      watches.push({ id, watch: hub.watch(id) });
      await fx.store.enqueue({ id, model: 'm6b', version: '1', format: 'json', tensors: k.tensors, notify: k.notify });
    }
    // In order: when the last notice is in, an earlier one would be too.
    await succeed(c, (await c.start(await c.read(10, 100))).run);
    const [unwaited, carries, large] = watches;
    expect(await large!.watch.next(5000)).toBe('done');
    expect(await carries!.watch.next(0)).toBe('done');
    expect(carries!.watch.carried()).toEqual(await fx.store.get(carries!.id));
    expect(large!.watch.carried()).toBeUndefined();
    expect(await unwaited!.watch.next(0)).toBe('timeout');
    expect(count).toEqual({ own: 2, shared: 0 });
    // The channels are not kept with the finished record.
    expect(await fx.redis.hexists(keys.prediction('m6b', carries!.id), 'notify')).toBe(0);
    for (const w of watches) w.watch.dispose();
    await hub.stop();
  });

  it('a gateway hears only the notices of its own waiting requests', async () => {
    const a = await hubOf('ga');
    const b = await hubOf('gb');
    const c = consumer('m6c');
    await c.ensureGroup();
    const channels = { a: await a.hub.listen('m6c'), b: await b.hub.listen('m6c') };
    const sent = { a: [] as string[], b: [] as string[] };
    for (let i = 0; i < 6; i++) {
      const via = i % 3 === 0 ? 'b' : 'a';
      const id = newPredictionId('m6c');
      sent[via].push(id);
      await fx.store.enqueue({ ...newPrediction('m6c', i), id, notify: channels[via] });
    }
    const watches = [...sent.a.map((id) => a.hub.watch(id)), ...sent.b.map((id) => b.hub.watch(id))];
    await succeed(c, (await c.start(await c.read(10, 100))).run);
    for (const w of watches) expect(await w.next(5000)).toBe('done');
    expect(a.count).toEqual({ own: 4, shared: 0 });
    expect(b.count).toEqual({ own: 2, shared: 0 });
    for (const w of watches) w.dispose();
    await Promise.all([a.hub.stop(), b.hub.stop()]);
  });

  it('cancel, fail-queued and a second waiter (addWaiter) notify the waiting gateways', async () => {
    const a = await hubOf('ga2');
    const b = await hubOf('gb2');
    const third = await hubOf('gc2');
    const notify = await a.hub.listen('m6d');
    await b.hub.listen('m6d');
    await third.hub.listen('m6d');
    const canceled = await fx.store.enqueue({ ...newPrediction('m6d'), notify });
    const watchA = a.hub.watch(canceled.id);
    // Another gateway waits for the same prediction (a repeated Idempotency-Key): both hear it.
    expect(await fx.store.addWaiter(canceled.id, b.hub.channel('m6d'))).toBe('queued');
    expect(await fx.store.addWaiter(canceled.id, b.hub.channel('m6d'))).toBe('queued');
    const watchB = b.hub.watch(canceled.id);
    await fx.store.cancel(canceled.id, 60_000);
    expect(await watchA.next(5000)).toBe('done');
    expect(await watchB.next(5000)).toBe('done');
    expect(await fx.store.addWaiter(canceled.id, b.hub.channel('m6d'))).toBe('canceled');
    expect(await fx.store.addWaiter(newPredictionId('m6d'), b.hub.channel('m6d'))).toBeUndefined();

    const failed = await fx.store.enqueue({ ...newPrediction('m6d'), notify });
    const watchFailed = a.hub.watch(failed.id);
    expect(await fx.store.failQueued('m6d', 'model_unpublished', 'gone', 60_000)).toBe(1);
    expect(await watchFailed.next(5000)).toBe('done');
    expect(a.count).toEqual({ own: 2, shared: 0 });
    // Once each: the channel added twice is named once.
    expect(b.count).toEqual({ own: 1, shared: 0 });
    expect(third.count).toEqual({ own: 0, shared: 0 });
    for (const w of [watchA, watchB, watchFailed]) w.dispose();
    await Promise.all([a.hub.stop(), b.hub.stop(), third.hub.stop()]);
  });

  it('a prediction waited for before gateways named their channels is announced on the shared channel', async () => {
    const { hub, count } = await hubOf('g-upgrade');
    const c = consumer('m6e');
    await c.ensureGroup();
    const waitedOld = await fx.store.enqueue(newPrediction('m6e', 1));
    const unwaitedOld = await fx.store.enqueue(newPrediction('m6e', 2));
    // As an earlier gateway wrote a request it waits for: 'wait' and no 'notify'.
    await fx.redis.hset(keys.prediction('m6e', waitedOld.id), 'wait', '1');
    const watch = hub.watch(waitedOld.id);
    const other = hub.watch(unwaitedOld.id);
    await succeed(c, (await c.start(await c.read(10, 100))).run);
    expect(await watch.next(5000)).toBe('done');
    expect(watch.carried()).toEqual(await fx.store.get(waitedOld.id));
    expect(await other.next(0)).toBe('timeout');
    expect(count).toEqual({ own: 0, shared: 1 });
    watch.dispose();
    other.dispose();
    await hub.stop();
  });

  it('fences a stalled worker: once another takes its entry over, its late result is discarded', async () => {
    const a = consumer('m7', 'worker-a');
    const b = consumer('m7', 'worker-b');
    await a.ensureGroup();
    const p = await enqueue('m7', 1);
    const batchA = (await a.start(await a.read(10, 100))).run;
    expect(batchA).toHaveLength(1);
    // worker-a stalls; worker-b takes the entry over once it has been idle long enough.
    const claimed = await b.reclaim(0, 10);
    expect(claimed.map((e) => e.predictionId)).toEqual([p.id]);
    const batchB = (await b.start(claimed)).run;
    expect(batchB).toHaveLength(1);
    // worker-a wakes up and tries to settle what it no longer holds.
    expect((await a.start(batchA)).fenced).toHaveLength(1);
    expect(
      (
        await a.complete(
          batchA.map((entry) => ({
            entry,
            outcome: { kind: 'failed' as const, code: 'x', message: 'late', queueMs: 0, predictMs: 0, batchSize: 1 },
          })),
        )
      ).map((e) => e.predictionId),
    ).toEqual([p.id]);
    expect((await fx.store.get(p.id))!.status).toBe('running');
    await succeed(b, batchB);
    expect((await fx.store.get(p.id))!.status).toBe('succeeded');
    // Started twice (once per worker): what redelivery can cost.
    expect(await fx.redis.hget(keys.prediction('m7', p.id), 'attempts')).toBe('2');
    expect(await fx.redis.xlen(keys.stream('m7'))).toBe(0);
  });

  it('dead-letters an entry delivered more than maxDeliveries times and fails it as poison', async () => {
    const c = consumer('m8', 'w', 60_000, 2);
    await c.ensureGroup();
    const p = await enqueue('m8', 1);
    await c.read(10, 100); // delivery 1: the worker "crashes" before settling it
    await c.reclaim(0, 10); // delivery 2
    const third = await c.reclaim(0, 10); // delivery 3 > 2
    const started = await c.start(third);
    expect(started.run).toEqual([]);
    expect(started.poisoned.map((e) => e.predictionId)).toEqual([p.id]);
    const failed = await fx.store.get(p.id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'poison' } });
    expect(failed!.error!.message).toMatch(/delivered 3 times/);
    const dead = await fx.redis.xrange(keys.dead('m8'), '-', '+');
    expect(dead).toHaveLength(1);
    const fields = dead[0]![1];
    expect(fields[fields.indexOf('id') + 1]).toBe(p.id);
    expect(fields[fields.indexOf('deliveries') + 1]).toBe('3');
    expect(await fx.redis.xlen(keys.stream('m8'))).toBe(0);
    expect((await fx.redis.xpending(keys.stream('m8'), GROUP))[0]).toBe(0);
  });

  it('lists dead letters and replays one: same prediction id, queued again, then it runs', async () => {
    const c = consumer('m8r', 'w', 60_000, 1);
    await c.ensureGroup();
    // The API key its usage counts against goes along (key-usage.ts).
    const p = await fx.store.enqueue({ ...newPrediction('m8r', 4), usageKey: '0123456789ab' });
    expect((await c.read(10, 100)).map((e) => e.key)).toEqual(['0123456789ab']);
    await c.start(await c.reclaim(0, 10)); // delivery 2 > 1: poison
    const dead = new DeadLetters(fx.redis, keys);
    const listed = await dead.list('m8r');
    expect(listed).toEqual([expect.objectContaining({ prediction_id: p.id, version: '1', deliveries: 2 })]);
    expect(await dead.replay('m8r', [listed[0]!.entry])).toEqual([p.id]);
    expect(await dead.count('m8r')).toBe(0);
    const again = await fx.store.get(p.id);
    expect(again).toMatchObject({ status: 'queued', error: null });
    expect(await fx.redis.pttl(keys.prediction('m8r', p.id))).toBe(-1);
    const fresh = consumer('m8r', 'w2');
    const batch = await fresh.read(10, 100);
    expect(batch.map((e) => [e.predictionId, e.key])).toEqual([[p.id, '0123456789ab']]);
    await succeed(fresh, (await fresh.start(batch)).run);
    expect((await fx.store.get(p.id))!.status).toBe('succeeded');
    expect(await dead.replay('m8r', ['1-0'])).toEqual([]);
  });

  it('fails the queued predictions of an unpublished model and refuses new ones; running ones are left to finish', async () => {
    const c = consumer('m8u');
    await c.ensureGroup();
    const running = await enqueue('m8u', 1);
    await c.start(await c.read(1, 100));
    const queued = [await enqueue('m8u', 2), await enqueue('m8u', 3)];
    const pinned = await fx.store.enqueue({
      id: newPredictionId('m8u'),
      model: 'm8u',
      version: '7',
      pinned: true,
      format: 'json',
      tensors: new Map([['x', tensor(4)]]),
    });
    expect(await fx.redis.xlen(keys.versionStream('m8u', '7'))).toBe(1);
    await fx.redis.set(keys.unpublished('m8u'), '1');
    await expect(enqueue('m8u', 5)).rejects.toMatchObject({ code: 'model_unpublished' });
    expect(await fx.store.failQueued('m8u', 'model_unpublished', 'gone', 60_000)).toBe(3);
    for (const p of [...queued, pinned]) {
      expect(await fx.store.get(p.id)).toMatchObject({
        status: 'failed',
        error: { code: 'model_unpublished', message: 'gone' },
      });
    }
    expect((await fx.store.get(running.id))!.status).toBe('running');
    expect(await fx.redis.xlen(keys.versionStream('m8u', '7'))).toBe(0);
  });

  it('refuses a submission beyond max_queue_length and writes nothing for it', async () => {
    const put = (v: number) =>
      fx.store.enqueue({
        id: newPredictionId('m9'),
        model: 'm9',
        version: '1',
        format: 'json',
        tensors: new Map([['x', tensor(v)]]),
        maxQueueLength: 2,
      });
    await put(1);
    await put(2);
    await expect(put(3)).rejects.toMatchObject({
      code: 'queue_full',
      message: "model 'm9' has 2 requests outstanding, its max_queue_length; retry later",
    });
    expect(await fx.redis.xlen(keys.stream('m9'))).toBe(2);
    expect((await fx.redis.keys(`${keys.stream('m9').replace(':stream', '')}:p:*`)).length).toBe(2);
  });

  it('cancels a queued prediction: it never runs and its entry is gone', async () => {
    const c = consumer('m10');
    await c.ensureGroup();
    const p = await enqueue('m10', 1);
    expect((await fx.store.cancel(p.id, 60_000))!.status).toBe('canceled');
    expect(await c.read(10, 50)).toEqual([]);
    expect(await fx.redis.xlen(keys.stream('m10'))).toBe(0);
  });

  it('cancels a queued prediction a worker already read: the worker skips it', async () => {
    const c = consumer('m11');
    await c.ensureGroup();
    const p = await enqueue('m11', 1);
    const read = await c.read(10, 50);
    await fx.store.cancel(p.id, 60_000);
    expect((await c.start(read)).run).toEqual([]);
    expect((await fx.redis.xpending(keys.stream('m11'), GROUP))[0]).toBe(0);
  });

  it('cancels a running prediction and discards its late result; a terminal one stays as it is', async () => {
    const c = consumer('m12');
    await c.ensureGroup();
    const p = await enqueue('m12', 1);
    const run = (await c.start(await c.read(10, 50))).run;
    expect((await fx.store.cancel(p.id, 60_000))!.status).toBe('canceled');
    await succeed(c, run);
    const after = await fx.store.get(p.id);
    expect(after).toMatchObject({ status: 'canceled', output: null });
    expect((await fx.store.cancel(p.id, 60_000))!.status).toBe('canceled');
    expect(await fx.redis.xlen(keys.stream('m12'))).toBe(0);
    expect(await fx.store.cancel('m12.01m83xqsfwmba2gkx4nf4d8kb9', 60_000)).toBeUndefined();
  });

  const enqueueBy = (model: string, deadline: number) => fx.store.enqueue({ ...newPrediction(model), deadline });

  it('expires a prediction not started by its deadline instead of computing it', async () => {
    const c = consumer('m13');
    await c.ensureGroup();
    const p = await enqueueBy('m13', Date.now() - 1);
    // Shown as expired before any worker has looked at it...
    expect(await fx.store.get(p.id)).toMatchObject({ status: 'expired', error: { code: 'deadline_exceeded' } });
    // ...and settled as expired, not computed, when a worker reads it.
    const started = await c.start(await c.read(10, 50));
    expect(started.run).toEqual([]);
    expect(started.expired.map((e) => e.predictionId)).toEqual([p.id]);
    expect(await fx.redis.hget(keys.prediction('m13', p.id), 'status')).toBe('expired');
    expect(await fx.redis.xlen(keys.stream('m13'))).toBe(0);
  });

  it('fails with deadline_exceeded a prediction whose deadline passes while it runs', async () => {
    const c = consumer('m14');
    await c.ensureGroup();
    const deadline = Date.now() + 300;
    const p = await enqueueBy('m14', deadline);
    const run = (await c.start(await c.read(10, 50))).run;
    expect(run).toHaveLength(1);
    await waitFor(() => Date.now() > deadline, { what: 'the deadline to pass' });
    await succeed(c, run);
    expect(await fx.store.get(p.id)).toMatchObject({
      status: 'failed',
      output: null,
      error: { code: 'deadline_exceeded' },
    });
  });

  it("releasePending lets a live consumer take a dead one's entries at once, their delivery count kept", async () => {
    const dead = consumer('m15', 'dead');
    await dead.ensureGroup();
    const ids = [(await enqueue('m15', 1)).id, (await enqueue('m15', 2)).id];
    expect(await dead.read(10, 0)).toHaveLength(2);
    const live = consumer('m15', 'live');
    // Held a moment only: not yet the live consumer's to take.
    expect(await live.reclaim(60_000, 10)).toEqual([]);
    expect(await releasePending(fx.redis, [...modelStreams(keys, 'm15').all, keys.stream('m15-none')], 'dead')).toBe(2);
    expect((await live.reclaim(60_000, 10)).map((e) => e.predictionId)).toEqual(ids);
    const pending = (await fx.redis.xpending(keys.stream('m15'), GROUP, '-', '+', 10)) as [
      string,
      string,
      number,
      number,
    ][];
    expect(pending.map(([, owner, , deliveries]) => [owner, deliveries])).toEqual([
      ['live', 2],
      ['live', 2],
    ]);
    expect(await releasePending(fx.redis, modelStreams(keys, 'm15').all, 'dead')).toBe(0);
  });
});

describe('Redis going away', () => {
  it('fails commands with errors isRedisUnavailable counts as an outage, and bugs not', async () => {
    const own = await startRedis();
    const conn = await connect(own.url, { name: 'test-failfast', failFast: true, commandTimeoutMs: 300 });
    try {
      await conn.set('k', 'v');
      const wrongType = await conn.hget('k', 'f').catch((e: unknown) => e);
      expect(wrongType).toBeInstanceOf(Error);
      expect(isRedisUnavailable(wrongType, conn)).toBe(false);
      await own.stop();
      const down = await conn.get('k').catch((e: unknown) => e);
      expect(down).toBeInstanceOf(Error);
      // By its type alone, and by the state of the connection it ran on.
      expect(isRedisUnavailable(down)).toBe(true);
      expect(isRedisUnavailable(down, conn)).toBe(true);
      expect(asAltoError(down)).toMatchObject({ code: 'redis_unavailable', retryable: true });
    } finally {
      conn.disconnect();
      await own.stop();
    }
  });
});
