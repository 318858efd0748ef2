// What one delivery attempt decides from the receiver's answer: delivered, retry after a
// chosen delay (at least what Retry-After asks), or give up (410 Gone, schedule exhausted);
// and BullMQ's backoff between attempts. Real HTTP and Redis deliveries are in
// test/webhooks.test.ts; here the deliverer and outbox are stand-ins that record calls.
import type { DeliveryState } from '@alto/protocol';
import type { Outbox } from '@alto/queue';
import { createLogger } from '@alto/telemetry';
import type { AttemptResult, Deliverer } from '@alto/webhooks';
import { UnrecoverableError, type Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { RetryLater, backoffStrategy, deliveryProcessor } from './deliveries.ts';
import { createDispatcherMetrics, type DispatcherMetrics } from './metrics.ts';
import type { DeliveryJob } from './relay.ts';

const SCHEDULE = [0, 5000, 60_000];
const data: DeliveryJob = {
  model: 'm',
  predictionId: 'm.p1',
  event: 'completed',
  webhookId: 'm.p1.completed',
  url: 'https://example.com/hook',
  body: '{}',
};

function attempt(
  result: AttemptResult,
  attemptsMade: number,
  o: { recordFails?: boolean; metrics?: DispatcherMetrics } = {},
) {
  const recorded: DeliveryState[] = [];
  const deliverer = { deliver: async () => result } as unknown as Deliverer;
  const outbox = {
    recordDelivery: async (_m: string, _p: string, _e: string, state: DeliveryState) => {
      if (o.recordFails) throw new Error('redis down');
      recorded.push(state);
    },
  } as unknown as Outbox;
  const run = deliveryProcessor({
    deliverer,
    outbox,
    schedule: SCHEDULE,
    log: createLogger({ name: 'test', level: 'silent' }),
    ...(o.metrics ? { metrics: o.metrics } : {}),
  });
  return { done: run({ data, attemptsMade } as Job<DeliveryJob>), recorded };
}

const answer = (status: number | null, retryAfterMs: number | null = null): AttemptResult => ({
  status,
  error: status !== null && status < 300 ? null : `HTTP ${status}`,
  retryAfterMs,
});

describe('a delivery attempt', () => {
  it('a 2xx delivers, and records the event as delivered', async () => {
    const a = attempt(answer(204), 0);
    await expect(a.done).resolves.toBeUndefined();
    expect(a.recorded).toMatchObject([{ state: 'delivered', attempts: 1, last_status: 204 }]);
  });

  it("a 5xx retries after the schedule's next delay, jittered", async () => {
    const a = attempt(answer(500), 0);
    const err = await a.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryLater);
    expect((err as RetryLater).delayMs).toBeGreaterThanOrEqual(4000);
    expect((err as RetryLater).delayMs).toBeLessThanOrEqual(6000);
    expect(a.recorded).toMatchObject([{ state: 'retrying', attempts: 1, last_status: 500 }]);
  });

  it('a 429 waits at least what Retry-After asks', async () => {
    const err = await attempt(answer(429, 300_000), 1).done.catch((e: unknown) => e);
    expect((err as RetryLater).delayMs).toBe(300_000);
  });

  it('410 Gone gives up at once', async () => {
    const a = attempt(answer(410), 0);
    await expect(a.done).rejects.toBeInstanceOf(UnrecoverableError);
    expect(a.recorded).toMatchObject([{ state: 'gave_up', attempts: 1 }]);
  });

  it('gives up after the last attempt of the schedule', async () => {
    const a = attempt(answer(null), SCHEDULE.length - 1);
    await expect(a.done).rejects.toBeInstanceOf(UnrecoverableError);
    expect(a.recorded).toMatchObject([{ state: 'gave_up', attempts: SCHEDULE.length, last_status: null }]);
  });

  it('an attempt made is not repeated because recording its state failed', async () => {
    await expect(attempt(answer(200), 0, { recordFails: true }).done).resolves.toBeUndefined();
  });
});

describe('delivery metrics', () => {
  it('count each attempt by outcome, and a finished delivery by the attempt it ended on', async () => {
    const metrics = createDispatcherMetrics('d1', async () => ({ waiting: 3, delayed: 2 }));
    await attempt(answer(204), 1, { metrics }).done;
    await attempt(answer(500), 0, { metrics }).done.catch(() => undefined);
    await attempt(answer(410), 2, { metrics }).done.catch(() => undefined);
    // A sample of a metric: `name` may end in _sum or _count for a histogram's.
    const byName = async (name: string, labels: Record<string, string>) =>
      (await metrics.registry.getSingleMetric(name.replace(/_(sum|count)$/, ''))?.get())?.values.find(
        (v) =>
          (v as { metricName?: string }).metricName ===
            (name.endsWith('_sum') || name.endsWith('_count') ? name : undefined) &&
          Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
      )?.value;
    const c = { event: 'completed' };
    expect(await byName('alto_webhook_attempts_total', { ...c, outcome: 'delivered' })).toBe(1);
    expect(await byName('alto_webhook_attempts_total', { ...c, outcome: 'retrying' })).toBe(1);
    expect(await byName('alto_webhook_attempts_total', { ...c, outcome: 'gave_up' })).toBe(1);
    // Delivered on attempt 2, given up on attempt 3; the retrying attempt finished nothing.
    expect(await byName('alto_webhook_delivery_attempts_sum', { ...c, outcome: 'delivered' })).toBe(2);
    expect(await byName('alto_webhook_delivery_attempts_sum', { ...c, outcome: 'gave_up' })).toBe(3);
    expect(await byName('alto_webhook_delivery_attempts_count', { ...c, outcome: 'retrying' })).toBeUndefined();
    expect(await byName('alto_webhook_attempt_duration_ms_count', { outcome: 'retrying' })).toBe(1);
    expect(await byName('alto_webhook_backlog', { state: 'waiting' })).toBe(3);
    expect(await byName('alto_webhook_backlog', { state: 'active' })).toBe(0);
  });
});

describe('backoff between attempts', () => {
  const backoff = backoffStrategy(SCHEDULE);

  it('is the delay the attempt chose', () => {
    expect(backoff(1, 'alto-webhook', new RetryLater('HTTP 503', 1234))).toBe(1234);
  });

  it("after an unexpected error, is the schedule's next delay, jittered; -1 past its end", () => {
    const d = backoff(2, 'alto-webhook', new Error('boom')) as number;
    expect(d).toBeGreaterThanOrEqual(48_000);
    expect(d).toBeLessThanOrEqual(72_000);
    expect(backoff(3, 'alto-webhook', new Error('boom'))).toBe(-1);
  });
});
