// The worker's spans, continuing each request's trace from the traceparent in its stream
// entry: `queue.wait` per request (submission to start), then per batch `worker.batch` —
// child of the batch's first traced request, linked to every request in it — with
// `executor.run` and `worker.store` under it. Untraced entries, or tracing off, make no spans.
import {
  SpanKind,
  contextFrom,
  inSpan,
  parseTraceparent,
  trace,
  tracer,
  tracingEnabled,
  type Context,
  type Link,
} from '@alto/telemetry';
import type { Entry } from '@alto/queue';
import { rowsOf } from '@alto/runtime';

const workerTracer = tracer('worker');

export interface BatchTrace {
  readonly context: Context;
  end(): void;
}

const UNTRACED: BatchTrace = { context: contextFrom(undefined), end: () => {} };

/** A `queue.wait` span per traced request, from its submission to `startedAt`. */
export function queueWaitSpans(group: readonly Entry[], startedAt: number, model: string): void {
  if (!tracingEnabled()) return;
  for (const e of group) {
    if (!e.traceparent) continue;
    workerTracer
      .startSpan(
        'queue.wait',
        {
          kind: SpanKind.CONSUMER,
          startTime: e.createdAt,
          attributes: {
            'alto.prediction.id': e.predictionId,
            'alto.model': model,
            'alto.queue.wait_ms': startedAt - e.createdAt,
            'alto.deliveries': e.deliveries,
          },
        },
        contextFrom(e.traceparent),
      )
      .end(startedAt);
  }
}

/** The span of one batch: parent the first traced request, links to each request's span. */
export function batchSpan(group: readonly Entry[], model: string, workerId: string): BatchTrace {
  if (!tracingEnabled()) return UNTRACED;
  const links: Link[] = [];
  for (const e of group) {
    const sc = parseTraceparent(e.traceparent);
    if (sc) links.push({ context: sc, attributes: { 'alto.prediction.id': e.predictionId } });
  }
  if (links.length === 0) return UNTRACED;
  const parent = trace.setSpanContext(contextFrom(undefined), links[0]!.context);
  const rows = group.reduce((n, e) => n + rowsOf(e), 0);
  const span = workerTracer.startSpan(
    'worker.batch',
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        'alto.model': model,
        'alto.worker.id': workerId,
        'alto.batch.size': rows,
        'alto.batch.requests': group.length,
      },
    },
    parent,
  );
  return { context: trace.setSpan(parent, span), end: () => span.end() };
}

/** The executor's run of (part of) a batch. */
export const executorSpan = <T>(batch: BatchTrace, rows: number, run: () => Promise<T>): Promise<T> =>
  batch === UNTRACED
    ? run()
    : inSpan(workerTracer, 'executor.run', { attributes: { 'alto.batch.rows': rows } }, batch.context, run);

/** Storing the outcomes of (part of) a batch. */
export const storeSpan = <T>(batch: BatchTrace, requests: number, store: () => Promise<T>): Promise<T> =>
  batch === UNTRACED
    ? store()
    : inSpan(workerTracer, 'worker.store', { attributes: { 'alto.batch.requests': requests } }, batch.context, store);
