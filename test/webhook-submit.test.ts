// What the gateway makes of a submitted webhook: a malformed one is 400 invalid_input naming
// the field; one whose host resolves only to refused addresses is 400 webhook_refused with
// the address and the reason; nothing is queued for either. Two in-process gateways over
// real sockets and a real Redis: one with the default policy, one allowing 127.0.0.1.
import { GATEWAY_SCHEMAS, componentSchemas, renderPrediction, type PredictionRecord } from '@alto/protocol';
import { keys } from '@alto/queue';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testPrefix } from './support/fleet.ts';
import { startTestGateway, type TestGateway } from './support/gateway.ts';
import { postJson } from './support/http.ts';
import { validate, type Schema } from './support/json-schema.ts';
import { tiny } from './support/models.ts';

const input = { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0) } };

describe('submitting a webhook', () => {
  const prefix = testPrefix('webhooksubmit');
  let strict: TestGateway;
  let allowing: TestGateway;

  beforeAll(async () => {
    strict = await startTestGateway(inject('redisUrl'), prefix, [tiny]);
    allowing = await startTestGateway(inject('redisUrl'), prefix, [tiny], { ALTO_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32' });
  });
  afterAll(async () => {
    await strict?.close();
    await allowing?.close();
  });

  const submit = (g: TestGateway, extra: Record<string, unknown>) =>
    postJson(`${g.base}/v1/models/tiny/predictions`, { input, ...extra });
  const queued = () => strict.redis.xlen(keys(prefix).stream('tiny'));

  it.each([
    [
      'not a URL',
      { webhook: 'receiver' },
      /^field 'webhook': expected an http:\/\/ or https:\/\/ URL, got "receiver"$/,
    ],
    [
      'another scheme',
      { webhook: 'ftp://hooks.example.com/x' },
      /^field 'webhook': expected an http:\/\/ or https:\/\/ URL, got "ftp:\/\/hooks\.example\.com\/x"$/,
    ],
    ['not a string', { webhook: 42 }, /^field 'webhook': .*expected string/],
    [
      'too long',
      { webhook: `https://hooks.example.com/${'a'.repeat(2100)}` },
      /^field 'webhook': expected at most 2048 characters, got 2126$/,
    ],
    [
      'an unknown event',
      { webhook: 'https://hooks.example.com/', webhook_events_filter: ['completed', 'output'] },
      /^field 'webhook_events_filter\.1': expected one of start, completed, got "output"$/,
    ],
    [
      'an empty filter',
      { webhook: 'https://hooks.example.com/', webhook_events_filter: [] },
      /^field 'webhook_events_filter': expected at least one of start, completed$/,
    ],
    [
      'a filter that is not a list',
      { webhook: 'https://hooks.example.com/', webhook_events_filter: 'completed' },
      /^field 'webhook_events_filter': .*expected array/,
    ],
    [
      'a filter without a webhook',
      { webhook_events_filter: ['completed'] },
      /^field 'webhook_events_filter': given without 'webhook'/,
    ],
  ])('refuses %s with 400 invalid_input naming the field', async (_what, extra, message) => {
    const before = await queued();
    const r = await submit(strict, extra);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_input');
    expect(r.body.error.message).toMatch(message);
    expect(await queued()).toBe(before);
  });

  it.each([
    ['a loopback address', 'http://127.0.0.1:9000/hook', /127\.0\.0\.1 is loopback \(127\.0\.0\.0\/8\)/],
    ['localhost', 'http://localhost:9000/hook', /host 'localhost' resolves only to refused addresses: .*loopback/],
    ['a decimal IPv4 (the URL parser makes it 127.0.0.1)', 'http://2130706433/', /127\.0\.0\.1 is loopback/],
    ['an IPv4-mapped IPv6 address', 'http://[::ffff:127.0.0.1]/', /loopback.*IPv4-mapped 127\.0\.0\.1/],
    ['a private address', 'https://10.20.30.40/', /10\.20\.30\.40 is private \(10\.0\.0\.0\/8\)/],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is cloud metadata/],
    ['IPv6 cloud metadata', 'http://[fd00:ec2::254]/', /fd00:ec2::254 is cloud metadata/],
    ['CGNAT', 'http://100.64.1.1/', /carrier-grade NAT/],
    [
      'a host that does not resolve',
      'https://nowhere.invalid/hook',
      /host 'nowhere\.invalid' (does not resolve|did not resolve within)/,
    ],
  ])('refuses %s with 400 webhook_refused saying why', async (_what, webhook, reason) => {
    const before = await queued();
    const r = await submit(strict, { webhook });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('webhook_refused');
    expect(r.body.error.message).toMatch(/^field 'webhook': /);
    expect(r.body.error.message).toMatch(reason);
    expect(r.body.error.message).toMatch(/ALTO_WEBHOOK_ALLOW_CIDRS/);
    expect(await queued()).toBe(before);
  });

  it('accepts an allowed receiver and shows the webhook in the prediction, with no delivery yet', async () => {
    const r = await submit(allowing, {
      webhook: 'http://127.0.0.1:9000/hook',
      webhook_events_filter: ['start', 'completed', 'start'],
    });
    expect(r.status).toBe(202);
    expect(r.body.webhooks).toEqual({
      url: 'http://127.0.0.1:9000/hook',
      events_filter: ['start', 'completed'],
      deliveries: [],
    });
    expect(await strict.redis.sismember(keys(prefix).webhookModels, 'tiny')).toBe(1);
    // Allowed only where listed: another loopback address is still refused.
    const other = await submit(allowing, { webhook: 'http://127.0.0.2:9000/hook' });
    expect(other.status).toBe(400);
    expect(other.body.error.code).toBe('webhook_refused');
  });

  it('a prediction without a webhook renders webhooks: null', async () => {
    const r = await submit(strict, {});
    expect(r.status).toBe(202);
    expect(r.body.webhooks).toBeNull();
  });

  it('a prediction with deliveries in each state conforms to the OpenAPI document', () => {
    const doc = { components: { schemas: componentSchemas(GATEWAY_SCHEMAS) as Record<string, Schema> } };
    const schema = doc.components.schemas.Prediction!;
    const record: PredictionRecord = {
      id: 'tiny.01m83yc7vx5b9f403wkqdbx6nv',
      model: 'tiny',
      version: '1',
      status: 'canceled',
      format: 'json',
      output: null,
      error: null,
      createdAt: 1_790_000_000_000,
      startedAt: 1_790_000_000_005,
      completedAt: 1_790_000_000_009,
      queueMs: null,
      predictMs: null,
      batchSize: null,
      webhook: {
        url: 'https://hooks.example.com/alto',
        events: ['start', 'completed'],
        origin: 'http://gw',
        deliveries: {
          start: {
            state: 'delivered',
            attempts: 1,
            last_status: 204,
            last_error: null,
            last_attempt_at: 1_790_000_000_006,
            next_attempt_at: null,
          },
          completed: {
            state: 'retrying',
            attempts: 2,
            last_status: null,
            last_error: 'ECONNREFUSED',
            last_attempt_at: 1_790_000_000_010,
            next_attempt_at: 1_790_000_300_010,
          },
        },
      },
    };
    const rendered = JSON.parse(JSON.stringify(renderPrediction(record, 'http://gw')));
    expect(rendered.webhooks.deliveries.map((d: any) => [d.event, d.webhook_id, d.state])).toEqual([
      ['prediction.started', `${record.id}.start`, 'delivered'],
      ['prediction.completed', `${record.id}.completed`, 'retrying'],
    ]);
    expect(rendered.webhooks.deliveries[1].next_attempt_at).toBe(new Date(1_790_000_300_010).toISOString());
    expect(validate(rendered, schema, doc)).toEqual([]);
    for (const state of ['pending', 'gave_up'] as const) {
      const r = {
        ...record,
        webhook: { ...record.webhook!, deliveries: { completed: { ...record.webhook!.deliveries.completed!, state } } },
      };
      expect(validate(JSON.parse(JSON.stringify(renderPrediction(r, 'http://gw'))), schema, doc)).toEqual([]);
    }
    expect(validate({ ...rendered, webhooks: { ...rendered.webhooks, secret: 'x' } }, schema, doc).join()).toMatch(
      /'secret' is not allowed/,
    );
  });
});
