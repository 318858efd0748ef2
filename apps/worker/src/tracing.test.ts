// The worker's spans for one batch of several requests, exported through the real SDK into a
// collecting exporter: each traced request's queue wait under its own enqueue span, one batch
// span under the first request's with a link to every traced request, and the executor run
// and the store under the batch. With tracing off, none at all.
import type { Entry } from '@alto/queue';
import { startTracing, type ReadableSpan, type SpanExporter, type Tracing } from '@alto/telemetry';
import { afterAll, describe, expect, it } from 'vitest';
import { batchSpan, executorSpan, queueWaitSpans, storeSpan } from './tracing.ts';

const exported: ReadableSpan[] = [];
const exporter: SpanExporter = {
  export(spans, done) {
    exported.push(...spans);
    done({ code: 0 });
  },
  shutdown: async () => {},
};

const traceparent = (n: number) => `00-${String(n).repeat(32)}-${String(n).repeat(16)}-01`;
const entry = (id: string, rows: number, tp: string | undefined): Entry =>
  ({
    predictionId: id,
    createdAt: 1_000,
    deliveries: 1,
    traceparent: tp,
    inputs: new Map([['x', { datatype: 'FP32', shape: [rows, 4], data: new Float32Array(rows * 4) }]]),
  }) as unknown as Entry;

const group = [entry('m.a', 2, traceparent(1)), entry('m.b', 1, undefined), entry('m.c', 1, traceparent(2))];

async function runBatch(): Promise<void> {
  queueWaitSpans(group, 1_050, 'm');
  const batch = batchSpan(group, 'm', 'w1');
  await executorSpan(batch, 4, async () => 1);
  await storeSpan(batch, 3, async () => 1);
  batch.end();
}

describe('worker spans', () => {
  let tracing: Tracing | undefined;
  afterAll(async () => tracing?.shutdown());

  it('are not made with tracing off, traceparents or not', async () => {
    await runBatch();
    tracing = await startTracing({ enabled: true, serviceName: 'test' }, { exporter });
    await tracing.flush();
    expect(exported).toEqual([]);
  });

  it('link the batch to each traced request and hang the executor run and the store under it', async () => {
    await runBatch();
    await tracing!.flush();
    const named = (name: string) => exported.filter((s) => s.name === name);
    const [batch] = named('worker.batch');
    const parentId = (s: ReadableSpan) => s.parentSpanContext?.spanId;

    const waits = named('queue.wait');
    expect(waits.map((s) => [s.spanContext().traceId, parentId(s)])).toEqual([
      ['1'.repeat(32), '1'.repeat(16)],
      ['2'.repeat(32), '2'.repeat(16)],
    ]);
    expect(waits[0]!.attributes).toMatchObject({ 'alto.prediction.id': 'm.a', 'alto.queue.wait_ms': 50 });

    expect(batch!.spanContext().traceId).toBe('1'.repeat(32));
    expect(parentId(batch!)).toBe('1'.repeat(16));
    expect(
      batch!.links.map((l) => [l.context.traceId, l.context.spanId, l.attributes?.['alto.prediction.id']]),
    ).toEqual([
      ['1'.repeat(32), '1'.repeat(16), 'm.a'],
      ['2'.repeat(32), '2'.repeat(16), 'm.c'],
    ]);
    // Rows of all three requests (2 + 1 + 1), the untraced one included.
    expect(batch!.attributes).toMatchObject({ 'alto.batch.size': 4, 'alto.batch.requests': 3, 'alto.worker.id': 'w1' });

    for (const name of ['executor.run', 'worker.store']) {
      const [s] = named(name);
      expect(parentId(s!)).toBe(batch!.spanContext().spanId);
      expect(s!.spanContext().traceId).toBe(batch!.spanContext().traceId);
    }
  });
});
