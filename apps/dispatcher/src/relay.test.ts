// The relay's decisions, apart from Redis and BullMQ (test/webhook-outbox.test.ts and
// test/webhooks.test.ts run them against real ones): the order it reads the outbox in, that
// an event is acknowledged only after its delivery job was added, what a job looks like,
// and that events of predictions past retention are dropped. The outbox, store and queue
// here are in-memory stand-ins that record what the relay asked of them.
import type { PredictionRecord } from '@alto/protocol';
import type { Outbox, OutboxEvent, PredictionStore } from '@alto/queue';
import { createLogger } from '@alto/telemetry';
import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { BACKOFF, Relay, jobOptions, type DeliveryJob } from './relay.ts';

const event = (n: number, predictionId = `m.p${n}`): OutboxEvent => ({
  model: 'm',
  entryId: `${n}-0`,
  predictionId,
  event: 'completed',
  at: 1_700_000_000_000,
});

const record = (id: string): PredictionRecord => ({
  id,
  model: 'm',
  version: '1',
  status: 'succeeded',
  format: 'json',
  output: null,
  error: null,
  createdAt: 1_700_000_000_000,
  startedAt: null,
  completedAt: 1_700_000_000_000,
  queueMs: null,
  predictMs: null,
  batchSize: null,
  webhook: { url: 'https://example.com/hook', events: ['completed'], origin: 'https://alto.example', deliveries: {} },
});

/** An outbox whose reads answer from queued lists, recording each call. */
function fakes(
  o: {
    backlog?: OutboxEvent[];
    claimable?: OutboxEvent[];
    fresh?: OutboxEvent[];
    addFails?: boolean;
    expired?: Set<string>;
  } = {},
) {
  const calls: string[] = [];
  const acked: OutboxEvent[] = [];
  const added: { name: string; data: DeliveryJob; opts: unknown }[] = [];
  const outbox = {
    models: async () => ['m'],
    read: async (_models: readonly string[], from: '0' | '>') => {
      calls.push(`read ${from}`);
      return from === '0' ? (o.backlog?.splice(0) ?? []) : (o.fresh?.splice(0) ?? []);
    },
    claim: async () => {
      calls.push('claim');
      return o.claimable?.splice(0) ?? [];
    },
    ack: async (events: readonly OutboxEvent[]) => {
      if (events.length > 0) calls.push(`ack ${events.length}`);
      acked.push(...events);
    },
  } as unknown as Outbox;
  const store = { get: async (id: string) => (o.expired?.has(id) ? null : record(id)) } as unknown as PredictionStore;
  const queue = {
    addBulk: async (jobs: { name: string; data: DeliveryJob; opts: unknown }[]) => {
      if (o.addFails) throw new Error('queue down');
      calls.push(`add ${jobs.length}`);
      added.push(...jobs);
      return [];
    },
  } as unknown as Queue<DeliveryJob>;
  const relay = new Relay(outbox, store, queue, {
    schedule: [0, 5000],
    log: createLogger({ name: 'test', level: 'silent' }),
    blockMs: 1,
  });
  return { relay, calls, acked, added };
}

describe('relay', () => {
  it('relays its own unacknowledged events first, then takes over idle ones, then reads new ones', async () => {
    const f = fakes({ backlog: [event(1)], claimable: [event(2)], fresh: [event(3)] });
    expect(await f.relay.step()).toBe(1);
    expect(await f.relay.step()).toBe(1);
    expect(await f.relay.step()).toBe(1);
    expect(f.calls).toEqual([
      'read 0',
      'add 1',
      'ack 1',
      'read 0',
      'claim',
      'add 1',
      'ack 1',
      'read >',
      'add 1',
      'ack 1',
    ]);
    expect(f.acked.map((e) => e.entryId)).toEqual(['1-0', '2-0', '3-0']);
  });

  it('acknowledges nothing when adding the delivery jobs fails, so the events are read again', async () => {
    const f = fakes({ backlog: [event(1), event(2)], addFails: true });
    await expect(f.relay.step()).rejects.toThrow('queue down');
    expect(f.acked).toEqual([]);
  });

  it('adds one job per event, keyed by the webhook id, carrying the signed payload', async () => {
    const f = fakes({ backlog: [event(1)] });
    await f.relay.step();
    const [job] = f.added;
    expect(job!.data).toMatchObject({
      model: 'm',
      predictionId: 'm.p1',
      event: 'completed',
      webhookId: 'm.p1.completed',
      url: 'https://example.com/hook',
    });
    expect(JSON.parse(job!.data.body)).toMatchObject({
      type: 'prediction.completed',
      data: { id: 'm.p1', status: 'succeeded' },
    });
    expect(job!.opts).toMatchObject({ jobId: 'm.p1.completed' });
  });

  it('drops events of predictions past retention, and acknowledges them all the same', async () => {
    const f = fakes({ backlog: [event(1), event(2)], expired: new Set(['m.p1']) });
    expect(await f.relay.step()).toBe(2);
    expect(f.added.map((j) => j.data.predictionId)).toEqual(['m.p2']);
    expect(f.acked.map((e) => e.predictionId)).toEqual(['m.p1', 'm.p2']);
  });
});

describe('delivery job options', () => {
  it('uses the webhook id as the job id, so relaying an event twice adds one job', () => {
    expect(jobOptions('m.p1.completed', [0]).jobId).toBe('m.p1.completed');
  });

  it("delays the first attempt by the schedule's first delay, jittered by at most 20%", () => {
    expect(jobOptions('x', [0, 5000]).delay).toBe(0);
    expect(jobOptions('x', []).delay).toBe(0);
    for (let i = 0; i < 50; i++) {
      const d = jobOptions('x', [10_000]).delay!;
      expect(d).toBeGreaterThanOrEqual(8000);
      expect(d).toBeLessThanOrEqual(12_000);
    }
  });

  it('leaves retries to the delivery job: the custom backoff, and an attempt limit out of reach', () => {
    const o = jobOptions('x', [0, 1, 2]);
    expect(o.backoff).toEqual({ type: BACKOFF });
    expect(o.attempts).toBeGreaterThanOrEqual(100);
  });
});
