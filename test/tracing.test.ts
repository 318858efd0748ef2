// OpenTelemetry traces through a real fleet into a real Jaeger: one prediction submitted with
// a W3C traceparent is one trace, in the caller's trace, holding the gateway's request,
// validate and enqueue spans, the queue wait, the worker's batch (linked to the request), the
// executor run, the result store and the webhook delivery, each under the right parent. And with tracing off the
// prediction still takes the caller's trace id (and none without a traceparent).
import { randomBytes } from 'node:crypto';
import { generateSecret } from '@alto/webhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDispatcher, startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { postJson } from './support/http.ts';
import { getTrace, startJaeger, type Jaeger, type TraceSpan } from './support/jaeger.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { waitFor } from './support/wait.ts';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const tiny = { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.25) } };

const EXPECTED = [
  'POST /v1/models/:model/predictions',
  'gateway.validate',
  'gateway.enqueue',
  'queue.wait',
  'worker.batch',
  'executor.run',
  'worker.store',
  'webhook.deliver',
];
const ALLOW = { ALTO_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32' };

describe('tracing', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('tracing');
  let jaeger: Jaeger;
  let worker: Proc;
  let traced: Proc & { url: string };
  let untraced: Proc & { url: string };
  let dispatcher: Proc;
  let receiver: Receiver;

  beforeAll(async () => {
    jaeger = await startJaeger();
    // Spans leave in batches every 100 ms instead of the default 5 s.
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint, OTEL_BSP_SCHEDULE_DELAY: '100' };
    receiver = await startReceiver();
    worker = await startWorker(redisUrl, prefix, otel);
    traced = await startGateway(redisUrl, prefix, { ...otel, ...ALLOW });
    untraced = await startGateway(redisUrl, prefix);
    dispatcher = await startDispatcher(redisUrl, prefix, { ...otel, ...ALLOW, ALTO_WEBHOOK_SECRET: generateSecret() });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([worker?.kill(), traced?.kill(), untraced?.kill(), dispatcher?.kill()]);
    await Promise.all([jaeger?.stop(), receiver?.close()]);
  });

  const predict = (url: string, headers: Record<string, string> = {}, body: Record<string, unknown> = {}) =>
    postJson(`${url}/v1/models/tiny/predictions`, { input: tiny, ...body }, { prefer: 'wait=30', ...headers });

  it("puts one prediction's gateway, queue, worker, executor and webhook spans in the caller's trace", async () => {
    const traceId = hex(16);
    const callerSpan = hex(8);
    const r = await predict(
      traced.url,
      { traceparent: `00-${traceId}-${callerSpan}-01` },
      { webhook: `${receiver.url}/hook` },
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'succeeded', trace_id: traceId });

    const spans = await waitFor(
      async () => {
        const t = await getTrace(jaeger, traceId);
        const names = new Set(t?.map((s) => s.name));
        return t && EXPECTED.every((n) => names.has(n)) ? t : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `trace ${traceId} with spans ${EXPECTED.join(', ')} in Jaeger` },
    );
    const span = (name: string) => only(spans, name);

    const server = span(EXPECTED[0]!);
    const enqueue = span('gateway.enqueue');
    const batch = span('worker.batch');
    expect(spans.every((s) => s.traceId === traceId)).toBe(true);
    expect(server.parentSpanId).toBe(callerSpan);
    expect(server.attributes).toMatchObject({ 'http.route': EXPECTED[0]!.slice(5), 'http.response.status_code': 200 });
    expect(span('gateway.validate').parentSpanId).toBe(server.spanId);
    expect(enqueue.parentSpanId).toBe(server.spanId);
    expect(enqueue.attributes['alto.prediction.id']).toBe(r.body.id);
    // The worker continues from the enqueue span, whose context the stream entry carried.
    expect(span('queue.wait').parentSpanId).toBe(enqueue.spanId);
    expect(batch.parentSpanId).toBe(enqueue.spanId);
    expect(batch.links).toEqual([{ traceId, spanId: enqueue.spanId }]);
    expect(batch.attributes).toMatchObject({ 'alto.batch.size': 1, 'alto.batch.requests': 1, 'alto.model': 'tiny' });
    expect(span('executor.run').parentSpanId).toBe(batch.spanId);
    expect(span('worker.store').parentSpanId).toBe(batch.spanId);
    // The dispatcher's delivery joins the trace from the traceparent the prediction keeps.
    const deliver = span('webhook.deliver');
    expect(deliver.parentSpanId).toBe(enqueue.spanId);
    expect(deliver.attributes).toMatchObject({
      'alto.webhook.event': 'completed',
      'alto.webhook.outcome': 'delivered',
    });
    expect(receiver.to('/hook')).toHaveLength(1);
    expect(server.service).toBe('alto-gateway');
    expect(batch.service).toBe('alto-worker');
    expect(deliver.service).toBe('alto-dispatcher');
  });

  it("continues the caller's trace through the Open Inference Protocol's REST infer", async () => {
    const traceId = hex(16);
    const callerSpan = hex(8);
    const r = await postJson(
      `${traced.url}/v2/models/tiny/infer`,
      { inputs: [{ name: 'x', shape: [1, 64], datatype: 'FP32', data: tiny.x.data }] },
      { traceparent: `00-${traceId}-${callerSpan}-01` },
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const names = ['POST /v2/models/:model/infer', 'gateway.enqueue', 'worker.batch'];
    const spans = await waitFor(
      async () => {
        const t = await getTrace(jaeger, traceId);
        return t && names.every((n) => t.some((s) => s.name === n)) ? t : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `trace ${traceId} with spans ${names.join(', ')} in Jaeger` },
    );
    const [server, enqueue, batch] = names.map((n) => only(spans, n));
    expect(server!.parentSpanId).toBe(callerSpan);
    expect(enqueue!.parentSpanId).toBe(server!.spanId);
    expect(batch!.parentSpanId).toBe(enqueue!.spanId);
  });

  it('starts a trace for a request without a traceparent, and ignores an invalid one', async () => {
    const none = await predict(traced.url);
    expect(none.body.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const invalid = await predict(traced.url, { traceparent: `00-${'0'.repeat(32)}-${hex(8)}-01` });
    expect(invalid.status).toBe(200);
    expect(invalid.body.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(invalid.body.trace_id).not.toBe('0'.repeat(32));
    await waitFor(async () => (await getTrace(jaeger, none.body.trace_id))?.length, {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: `trace ${none.body.trace_id} in Jaeger`,
    });
  });

  it("with tracing off, a prediction takes the caller's trace id, and has none without a traceparent", async () => {
    const traceId = hex(16);
    const r = await predict(untraced.url, { traceparent: `00-${traceId}-${hex(8)}-01` });
    expect(r.body).toMatchObject({ status: 'succeeded', trace_id: traceId });
    const none = await predict(untraced.url);
    expect(none.body).toMatchObject({ status: 'succeeded', trace_id: null });
  });
});

function only(spans: TraceSpan[], name: string): TraceSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one '${name}' span, got ${found.length}: ${spans.map((s) => s.name).join(', ')}`);
  }
  return found[0]!;
}
