// What tracing costs one prediction, off and on: the spans the gateway and the worker make
// for a request (server span, validate, enqueue, queue wait, batch, executor run, store),
// timed in a loop without the I/O around them. Off is what every request pays when
// OTEL_EXPORTER_OTLP_ENDPOINT is unset; on exports to a collector that is not there (the
// exporter's failures are asynchronous and do not slow the spans).
//   node --import tsx bench/tracing-overhead.ts [iterations]
import { performance } from 'node:perf_hooks';
import type { Entry } from '@alto/queue';
import {
  formatTraceparent,
  inSpan,
  startServerSpan,
  startTracing,
  tracer,
  tracingSettings,
  type Tracer,
} from '@alto/telemetry';
import { batchSpan, executorSpan, queueWaitSpans, storeSpan } from '../apps/worker/src/tracing.ts';

const N = Number(process.argv[2] ?? 200_000);
const CALLER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const INPUTS = new Map([['x', { datatype: 'FP32', shape: [1, 64], data: new Float32Array(64) }]]);

/** The tracing calls of one prediction: the gateway's (tracing.ts, app.ts), then the worker's. */
async function onePrediction(t: Tracer, traceparent: string | undefined): Promise<void> {
  const server = startServerSpan(t, 'POST', traceparent);
  await inSpan(t, 'gateway.validate', { attributes: { 'alto.model': 'tiny' } }, server.context, async () => 1);
  const tp = await inSpan(t, 'gateway.enqueue', { attributes: { 'alto.model': 'tiny' } }, server.context, async (s) =>
    formatTraceparent(s.spanContext()),
  );
  server.end('/v1/models/:model/predictions', '/v1/models/tiny/predictions', 200);
  const now = Date.now();
  const entry = { predictionId: 'tiny.1', createdAt: now - 1, deliveries: 1, traceparent: tp, inputs: INPUTS };
  const group = [entry as unknown as Entry];
  queueWaitSpans(group, now, 'tiny');
  const batch = batchSpan(group, 'tiny', 'w1');
  await executorSpan(batch, 1, async () => 1);
  await storeSpan(batch, 1, async () => 1);
  batch.end();
}

async function nsPer(label: string, t: Tracer, traceparent: string | undefined): Promise<number> {
  for (let i = 0; i < 5_000; i++) await onePrediction(t, traceparent); // warm-up
  const started = performance.now();
  for (let i = 0; i < N; i++) await onePrediction(t, traceparent);
  const ns = ((performance.now() - started) * 1e6) / N;
  console.log(`${label.padEnd(44)} ${ns.toFixed(0).padStart(7)} ns per prediction`);
  return ns;
}

async function baseline(): Promise<number> {
  // The same awaits with no tracing calls: what the loop itself costs.
  const started = performance.now();
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < 4; k++) await (async () => 1)();
  }
  const ns = ((performance.now() - started) * 1e6) / N;
  console.log(`${'baseline (the awaits alone)'.padEnd(44)} ${ns.toFixed(0).padStart(7)} ns per prediction`);
  return ns;
}

const t = tracer('bench');
await baseline();
await nsPer('off, no traceparent', t, undefined);
await nsPer("off, caller's traceparent", t, CALLER);
const on = await startTracing(
  tracingSettings('bench', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_SERVICE_NAME: 'bench' }),
);
await nsPer('on (SDK, batch export), no traceparent', t, undefined);
await nsPer("on (SDK, batch export), caller's traceparent", t, CALLER);
await on.shutdown().catch(() => undefined);
