// The webhook outbox against a real redis-server, with the worker's part played by hand:
// which state changes append which events, and that relaying an event twice (a dispatcher
// that crashed between adding the job and acknowledging, or one taken over from a dead
// dispatcher) adds one delivery job, not two.
import type { WebhookEvent } from '@alto/protocol';
import { OUTBOX_GROUP, Outbox, PredictionStore, StreamConsumer, keys as makeKeys } from '@alto/queue';
import { createLogger } from '@alto/telemetry';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { Relay, WEBHOOK_QUEUE, type DeliveryJob } from '../apps/dispatcher/src/relay.ts';
import { testPrefix } from './support/fleet.ts';
import { newPrediction, succeed } from './support/queue-kit.ts';
import { queueRedis } from './support/redis-fixture.ts';

describe('webhook outbox', () => {
  const fx = queueRedis('outbox');
  const { keys } = fx;

  const worker = async (model: string, name = 'w1', maxDeliveries = 3) => {
    const c = fx.consumer(model, { consumer: name, maxDeliveries });
    await c.ensureGroup();
    return c;
  };
  const enqueue = (model: string, events?: WebhookEvent[], deadline?: number) =>
    fx.store.enqueue({
      ...newPrediction(model),
      ...(deadline ? { deadline } : {}),
      ...(events ? { webhook: { url: 'https://hooks.example.com/alto', events, origin: 'http://gw' } } : {}),
    });
  /** The outbox as [prediction id, event] pairs. */
  const outboxOf = async (model: string) =>
    (await fx.redis.xrange(keys.outbox(model), '-', '+')).map(([, f]) => {
      const o: Record<string, string> = {};
      for (let i = 0; i < f.length; i += 2) o[f[i]!] = f[i + 1]!;
      return [o.id, o.event, Number(o.at)] as const;
    });

  it('appends start and completed as the prediction runs and finishes, each once, and marks them pending', async () => {
    const c = await worker('o1');
    const p = await enqueue('o1', ['start', 'completed']);
    expect(await fx.redis.sismember(keys.webhookModels, 'o1')).toBe(1);
    expect(await outboxOf('o1')).toEqual([]);
    const batch = await c.read(10, 100);
    await c.start(batch);
    const running = await fx.store.get(p.id);
    expect(await outboxOf('o1')).toEqual([[p.id, 'start', running!.startedAt]]);
    expect(running!.webhook!.deliveries).toEqual({
      start: {
        state: 'pending',
        attempts: 0,
        last_status: null,
        last_error: null,
        last_attempt_at: null,
        next_attempt_at: null,
      },
    });
    // A redelivery after a worker crash starts it again: no second start event.
    const other = await worker('o1', 'w2');
    await other.start(await other.reclaim(0, 10));
    await succeed(other, batch);
    const done = await fx.store.get(p.id);
    expect(done!.status).toBe('succeeded');
    expect((await outboxOf('o1')).map(([id, e]) => [id, e])).toEqual([
      [p.id, 'start'],
      [p.id, 'completed'],
    ]);
    expect((await outboxOf('o1'))[1]![2]).toBe(done!.completedAt);
    expect(Object.keys(done!.webhook!.deliveries).sort()).toEqual(['completed', 'start']);
  });

  it('appends only the events of the filter, and nothing without a webhook', async () => {
    const c = await worker('o2');
    const completedOnly = await enqueue('o2', ['completed']);
    const startOnly = await enqueue('o2', ['start']);
    const none = await enqueue('o2');
    const batch = await c.read(10, 100);
    await c.start(batch);
    await succeed(c, batch);
    expect((await outboxOf('o2')).map(([id, e]) => [id, e])).toEqual([
      [startOnly.id, 'start'],
      [completedOnly.id, 'completed'],
    ]);
    expect((await fx.store.get(none.id))!.webhook).toBeUndefined();
  });

  it('a malformed webhook field never fails the state change', async () => {
    const c = await worker('o6');
    const p = await enqueue('o6', ['start', 'completed']);
    await fx.redis.hset(keys.prediction('o6', p.id), 'webhook', '{"url": "x", "events": ');
    const batch = await c.read(10, 100);
    expect((await c.start(batch)).run).toHaveLength(1);
    await succeed(c, batch);
    expect((await fx.store.get(p.id))?.status).toBe('succeeded');
    expect(await outboxOf('o6')).toEqual([]);
  });

  it('appends completed when a prediction is canceled, expired by a worker, or failed as poison', async () => {
    const c = await worker('o3', 'w1', 1);
    const canceled = await enqueue('o3', ['completed']);
    await fx.store.cancel(canceled.id, 60_000);
    await fx.store.cancel(canceled.id, 60_000); // already terminal: nothing more
    const expired = await enqueue('o3', ['start', 'completed'], Date.now() - 1);
    const poison = await enqueue('o3', ['completed']);
    const batch = await c.read(10, 100);
    expect(batch.map((e) => e.predictionId)).toEqual([expired.id, poison.id]);
    const started = await c.start(batch);
    expect(started.expired.map((e) => e.predictionId)).toEqual([expired.id]);
    // Delivered again (the worker "crashed"): over maxDeliveries, so poison.
    const again = await worker('o3', 'w2', 1);
    const reclaimed = await again.reclaim(0, 10);
    expect((await again.start(reclaimed)).poisoned.map((e) => e.predictionId)).toEqual([poison.id]);
    expect((await outboxOf('o3')).map(([id, e]) => [id, e])).toEqual([
      [canceled.id, 'completed'],
      [expired.id, 'completed'],
      [poison.id, 'completed'],
    ]);
    expect((await fx.store.get(expired.id))!.status).toBe('expired');
    expect((await fx.store.get(poison.id))!.error!.code).toBe('poison');
  });

  it('relays an event once though it is read again after a crash, or taken over by another dispatcher', async () => {
    // Its own prefix: the relay reads every model's outbox, and the cases above left events in theirs.
    const keys = makeKeys(testPrefix('relay'));
    const store = new PredictionStore(fx.redis, keys);
    const worker = async (model: string) => {
      const c = new StreamConsumer(fx.blocking, fx.redis, keys, { model, consumer: 'w1' });
      await c.ensureGroup();
      return c;
    };
    const enqueue = (model: string, events: WebhookEvent[]) =>
      store.enqueue({
        ...newPrediction(model),
        webhook: { url: 'https://hooks.example.com/alto', events, origin: 'http://gw' },
      });
    const log = createLogger({ name: 'test', level: 'silent' });
    const queue = new Queue<DeliveryJob>(WEBHOOK_QUEUE, { connection: fx.redis, prefix: keys.webhookQueuePrefix });
    try {
      const c = await worker('o4');
      const a = await enqueue('o4', ['completed']);
      const b = await enqueue('o4', ['completed']);
      const batch = await c.read(10, 100);
      await c.start(batch);
      await succeed(c, batch);

      // Dispatcher d1 reads both events and adds their jobs, then dies before acknowledging.
      const d1 = new Outbox(fx.redis, keys, 'd1');
      const models = await d1.models();
      const events = await d1.read(models, '>', 10);
      expect(events.map((e) => e.predictionId)).toEqual([a.id, b.id]);
      await new Relay(d1, store, queue, { schedule: [0], log }).enqueue(events);
      expect(await queue.getJobCounts('wait', 'delayed', 'active', 'completed', 'failed')).toMatchObject({ wait: 2 });

      // d1 restarts under the same name: its unacknowledged events come first, and add nothing new.
      const restarted = new Relay(new Outbox(fx.redis, keys, 'd1'), store, queue, { schedule: [0], log, blockMs: 10 });
      await restarted.enqueue(events.slice(0, 1)); // (first half, then "crashes" again)
      const d1again = new Outbox(fx.redis, keys, 'd1');
      await new Relay(d1again, store, queue, { schedule: [0], log, blockMs: 10 }).step();
      expect(await d1again.pendingCount(models)).toBe(0);
      expect(await fx.redis.xlen(keys.outbox('o4'))).toBe(0);

      // Another event read by d2, which dies; d3 takes it over once it has been idle long enough.
      const late = await enqueue('o4', ['completed']);
      const more = await c.read(10, 100);
      await c.start(more);
      await succeed(c, more);
      const d2 = new Outbox(fx.redis, keys, 'd2');
      const lateEvents = await d2.read(await d2.models(), '>', 10);
      await new Relay(d2, store, queue, { schedule: [0], log }).enqueue(lateEvents);
      const d3 = new Outbox(fx.redis, keys, 'd3');
      expect(await new Relay(d3, store, queue, { schedule: [0], log, blockMs: 10, claimIdleMs: 0 }).step()).toBe(1);
      expect(await d3.pendingCount(models)).toBe(0);

      const ids = (await queue.getJobs(['wait', 'delayed', 'active', 'completed', 'failed'])).map((j) => j.id).sort();
      expect(ids).toEqual([`${a.id}.completed`, `${b.id}.completed`, `${late.id}.completed`].sort());
      const job = await queue.getJob(`${a.id}.completed`);
      expect(job!.data).toMatchObject({
        model: 'o4',
        predictionId: a.id,
        event: 'completed',
        url: 'https://hooks.example.com/alto',
      });
      const payload = JSON.parse(job!.data.body);
      expect(payload).toMatchObject({
        type: 'prediction.completed',
        data: { id: a.id, status: 'succeeded', urls: { get: `http://gw/v1/predictions/${a.id}` } },
      });
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('records delivery state only while the prediction exists', async () => {
    const o = new Outbox(fx.redis, keys, 'd1');
    const p = await enqueue('o5', ['completed']);
    const state = {
      state: 'retrying' as const,
      attempts: 1,
      last_status: 503,
      last_error: 'HTTP 503',
      last_attempt_at: 1,
      next_attempt_at: 2,
    };
    expect(await o.recordDelivery('o5', p.id, 'completed', state)).toBe(true);
    expect((await fx.store.get(p.id))!.webhook!.deliveries.completed).toEqual(state);
    await fx.redis.del(keys.prediction('o5', p.id));
    expect(await o.recordDelivery('o5', p.id, 'completed', state)).toBe(false);
    expect(await fx.redis.exists(keys.prediction('o5', p.id))).toBe(0);
    expect(OUTBOX_GROUP).toBe('dispatchers');
  });
});
