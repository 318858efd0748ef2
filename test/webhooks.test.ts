// Webhooks end to end through real processes: gateway → worker (tiny) → outbox → dispatcher
// → a real HTTP receiver on 127.0.0.1 (allowed with ALTO_WEBHOOK_ALLOW_CIDRS). Signatures
// are checked with the standardwebhooks package, as a receiver would.
import { connect, keys } from '@alto/queue';
import { generateSecret } from '@alto/webhooks';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDispatcher, startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { getJson, postJson } from './support/http.ts';
import { validate, type Schema } from './support/json-schema.ts';
import { startReceiver, type Received, type Receiver } from './support/receiver.ts';
import { waitFor } from './support/wait.ts';

const SCHEDULE = '0,300ms,300ms';
const tinyInput = { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.25) } };

describe('webhooks', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('webhooks');
  const secret = generateSecret();
  const dispatcherEnv = {
    ALTO_WEBHOOK_SECRET: secret,
    ALTO_WEBHOOK_RETRY_SCHEDULE: SCHEDULE,
    ALTO_WEBHOOK_TIMEOUT_MS: '2000',
    ALTO_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32',
    ALTO_DISPATCHER_ID: 'dispatcher-1',
  };
  let worker: Proc;
  let gateway: Proc & { url: string };
  let dispatcher: Proc & { healthz: string };
  let receiver: Receiver;
  let redis: Redis;
  let jobs: Queue;

  beforeAll(async () => {
    receiver = await startReceiver();
    [worker, gateway, dispatcher] = await Promise.all([
      startWorker(redisUrl, prefix, { ALTO_MODELS: 'tiny' }),
      startGateway(redisUrl, prefix, { ALTO_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32' }),
      startDispatcher(redisUrl, prefix, dispatcherEnv),
    ]);
    redis = await connect(redisUrl, { name: 'test' });
    jobs = new Queue('webhooks', { connection: redis, prefix: keys(prefix).webhookQueuePrefix });
  });
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill(), dispatcher?.kill()]);
    await jobs?.close();
    await redis?.quit();
    await receiver?.close();
  });

  const submit = async (path: string, extra: Record<string, unknown> = {}) => {
    const r = await postJson(`${gateway.url}/v1/models/tiny/predictions`, {
      input: tinyInput,
      webhook: `${receiver.url}${path}`,
      ...extra,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    return r.body.id as string;
  };
  const get = async (id: string) => (await getJson(`${gateway.url}/v1/predictions/${id}`)).body;
  const delivery = async (id: string, event: string) =>
    ((await get(id)).webhooks?.deliveries ?? []).find((d: any) => d.event === event);
  const untilDelivery = (id: string, event: string, state: string) =>
    waitFor(
      async () => {
        const d = await delivery(id, event);
        return d?.state === state ? d : undefined;
      },
      { what: `${event} of ${id} ${state}` },
    );
  const untilRequests = (path: string, n: number) =>
    waitFor(() => (receiver.to(path).length >= n ? receiver.to(path) : undefined), {
      what: `${n} request(s) to ${path}`,
    });
  const verified = (r: Received) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as any;

  it('the dispatcher answers its health probe', async () => {
    const r = await getJson(dispatcher.healthz);
    expect(r).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('delivers prediction.completed, signed, with the prediction as GET renders it', async () => {
    const id = await submit('/completed');
    const [r] = await untilRequests('/completed', 1);
    const payload = verified(r!);
    expect(payload.type).toBe('prediction.completed');
    expect(r!.headers['webhook-id']).toBe(`${id}.completed`);
    expect(Math.abs(Date.parse(payload.timestamp) - Date.parse(payload.data.completed_at))).toBeLessThan(1000);
    const done = await untilDelivery(id, 'prediction.completed', 'delivered');
    expect(done).toMatchObject({
      webhook_id: `${id}.completed`,
      attempts: 1,
      last_status: 200,
      last_error: null,
      next_attempt_at: null,
    });
    const now = await get(id);
    const { webhooks: _w1, ...sent } = payload.data;
    const { webhooks: _w2, ...polled } = now;
    expect(sent).toEqual(polled);
    expect(sent.status).toBe('succeeded');
    expect(sent.urls.get).toBe(`${gateway.url}/v1/predictions/${id}`);
    // The default filter is ['completed']: no start event exists for it.
    expect(now.webhooks.events_filter).toEqual(['completed']);
    expect(now.webhooks.deliveries.map((d: any) => d.event)).toEqual(['prediction.completed']);
  });

  it('delivers prediction.started with the prediction as it was when it started, then prediction.completed', async () => {
    const id = await submit('/both', { webhook_events_filter: ['start', 'completed'] });
    const requests = await untilRequests('/both', 2);
    const byType = Object.fromEntries(requests.map((r) => [verified(r).type, { r, payload: verified(r) }]));
    const started = byType['prediction.started']!;
    expect(started.r.headers['webhook-id']).toBe(`${id}.start`);
    expect(started.payload.data).toMatchObject({ id, status: 'running', output: null, completed_at: null });
    expect(started.payload.data.started_at).toBe(started.payload.timestamp);
    const completed = byType['prediction.completed']!;
    expect(completed.payload.data).toMatchObject({ id, status: 'succeeded' });
    expect(completed.payload.data.output.y.shape).toEqual([1, 10]);
    await untilDelivery(id, 'prediction.started', 'delivered');
    await untilDelivery(id, 'prediction.completed', 'delivered');
  });

  it('retries a failed delivery with the same webhook-id, and GET shows its state (conforming to the OpenAPI document)', async () => {
    receiver.reply('/flaky', { status: 500, body: 'try later' });
    const id = await submit('/flaky');
    const [first, second] = await untilRequests('/flaky', 2);
    expect(first!.answered).toBe(500);
    expect(first!.headers['webhook-id']).toBe(`${id}.completed`);
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(verified(second!)).toEqual(verified(first!));
    const d = await untilDelivery(id, 'prediction.completed', 'delivered');
    expect(d).toMatchObject({ attempts: 2, last_status: 200, last_error: null, next_attempt_at: null });
    const doc = (await getJson(`${gateway.url}/openapi.json`)).body;
    expect(validate(await get(id), doc.components.schemas.Prediction as Schema, doc)).toEqual([]);
  });

  it('stops at 410 Gone', async () => {
    receiver.reply('/gone', { status: 410 });
    const id = await submit('/gone');
    const d = await untilDelivery(id, 'prediction.completed', 'gave_up');
    expect(d).toMatchObject({ attempts: 1, last_status: 410, last_error: 'HTTP 410', next_attempt_at: null });
    expect(await jobs.getJobState(`${id}.completed`)).toBe('failed');
    expect(receiver.to('/gone')).toHaveLength(1);
  });

  it('does not follow redirects: every 3xx is a failed attempt, until the schedule gives up', async () => {
    const moved = { status: 302, headers: { location: '/moved-here' } };
    receiver.reply('/moved', moved, moved, moved);
    const id = await submit('/moved');
    const d = await untilDelivery(id, 'prediction.completed', 'gave_up');
    expect(d).toMatchObject({ attempts: 3, last_status: 302 });
    expect(d.last_error).toMatch(/redirect not followed \(Location: \/moved-here\)/);
    expect(receiver.to('/moved')).toHaveLength(3);
    expect(receiver.to('/moved-here')).toHaveLength(0);
    expect(await jobs.getJobState(`${id}.completed`)).toBe('failed');
  });

  it('waits what Retry-After asks on a 429, though the schedule says 300 ms', async () => {
    receiver.reply('/busy', { status: 429, headers: { 'retry-after': '2' } });
    const id = await submit('/busy');
    const retrying = await untilDelivery(id, 'prediction.completed', 'retrying');
    expect(retrying).toMatchObject({ attempts: 1, last_status: 429 });
    expect(Date.parse(retrying.next_attempt_at) - Date.parse(retrying.last_attempt_at)).toBeGreaterThanOrEqual(2000);
    const [first, second] = await untilRequests('/busy', 2);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(2000);
    await untilDelivery(id, 'prediction.completed', 'delivered');
  });

  it('loses nothing when the dispatcher is killed: mid-delivery, and while events happen without one', async () => {
    receiver.reply('/crash', 'hold');
    const inFlight = await submit('/crash');
    await untilRequests('/crash', 1);
    await dispatcher.kill('SIGKILL');
    // Events that happen while no dispatcher runs wait in the outbox.
    const whileDown = await submit('/while-down');
    await waitFor(async () => (await get(whileDown)).status === 'succeeded', {
      what: 'prediction done while the dispatcher is down',
    });
    expect(await redis.xlen(keys(prefix).outbox('tiny'))).toBeGreaterThanOrEqual(1);
    expect(receiver.to('/while-down')).toHaveLength(0);

    dispatcher = await startDispatcher(redisUrl, prefix, dispatcherEnv);
    await untilDelivery(whileDown, 'prediction.completed', 'delivered');
    // The delivery cut short is made again once its lock runs out, with the same webhook-id.
    await waitFor(() => receiver.to('/crash').some((r) => r.answered === 200), {
      timeoutMs: 40_000,
      what: 'the interrupted delivery made again',
    });
    await untilDelivery(inFlight, 'prediction.completed', 'delivered');
    expect(await jobs.getJobState(`${inFlight}.completed`)).toBe('completed');
    expect(await jobs.getJobState(`${whileDown}.completed`)).toBe('completed');
    const crash = receiver.to('/crash');
    expect(new Set(crash.map((r) => r.headers['webhook-id']))).toEqual(new Set([`${inFlight}.completed`]));
    expect(crash.filter((r) => r.answered === 200)).toHaveLength(1);
    expect(receiver.to('/while-down')).toHaveLength(1);
    expect(verified(receiver.to('/while-down')[0]!).data.id).toBe(whileDown);
    expect(await redis.xlen(keys(prefix).outbox('tiny'))).toBe(0);
  });
});
