// The delivery job: one attempt per run. The attempt's result decides the event's state —
// delivered, retrying at a chosen time, or given up — which is written into the prediction
// before BullMQ hears of it; BullMQ then holds the job until that time (RetryLater) or fails
// it for good (UnrecoverableError).
import type { Outbox } from '@alto/queue';
import { SpanKind, contextFrom, failSpan, tracer, type Logger } from '@alto/telemetry';
import { afterAttempt, jitter, type Deliverer } from '@alto/webhooks';
import { UnrecoverableError, type BackoffStrategy, type Job, type Processor } from 'bullmq';
import type { AttemptOutcome, DispatcherMetrics } from './metrics.ts';
import type { DeliveryJob } from './relay.ts';

const dispatcherTracer = tracer('dispatcher');

/** A failed attempt to be repeated after `delayMs`. */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

export interface DeliveryDeps {
  deliverer: Deliverer;
  outbox: Outbox;
  schedule: readonly number[];
  log: Logger;
  /** @default none: nothing counted */
  metrics?: DispatcherMetrics;
}

export function deliveryProcessor(d: DeliveryDeps): Processor<DeliveryJob> {
  return async (job: Job<DeliveryJob>) => {
    const j = job.data;
    // attemptsMade counts finished attempts; one cut short by a crash (a stalled job) is not among them.
    const attempt = job.attemptsMade + 1;
    // A span per attempt, in the prediction's trace.
    const span = dispatcherTracer.startSpan(
      'webhook.deliver',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'alto.prediction.id': j.predictionId,
          'alto.webhook.event': j.event,
          'alto.webhook.id': j.webhookId,
          'alto.webhook.attempt': attempt,
        },
      },
      contextFrom(j.traceparent),
    );
    const started = performance.now();
    let result: Awaited<ReturnType<Deliverer['deliver']>>;
    try {
      result = await d.deliverer.deliver({ url: j.url, webhookId: j.webhookId, body: j.body });
    } catch (err) {
      failSpan(span, err);
      span.end();
      throw err;
    }
    const ms = performance.now() - started;
    const { state, retryInMs } = afterAttempt(result, attempt, d.schedule);
    const outcome: AttemptOutcome =
      state.state === 'delivered' ? 'delivered' : retryInMs === null ? 'gave_up' : 'retrying';
    if (result.status !== null) span.setAttribute('http.response.status_code', result.status);
    span.setAttribute('alto.webhook.outcome', outcome);
    if (outcome !== 'delivered') failSpan(span, new Error(result.error ?? `HTTP ${result.status}`));
    span.end();
    if (d.metrics) {
      d.metrics.attempts.inc({ event: j.event, outcome });
      d.metrics.duration.observe({ outcome }, ms);
      if (outcome !== 'retrying') d.metrics.deliveries.observe({ event: j.event, outcome }, attempt);
    }
    // The state is for showing; failing to record it must not repeat an attempt that was made.
    await d.outbox
      .recordDelivery(j.model, j.predictionId, j.event, state)
      .catch((err: unknown) =>
        d.log.warn(
          { prediction_id: j.predictionId, err: (err as Error).message },
          'recording a webhook delivery state failed',
        ),
      );
    const fields = {
      prediction_id: j.predictionId,
      webhook_id: j.webhookId,
      attempt,
      status: result.status,
      error: result.error,
    };
    if (state.state === 'delivered') {
      d.log.debug(fields, 'webhook delivered');
      return;
    }
    const why = result.error ?? `HTTP ${result.status}`;
    if (retryInMs === null) {
      d.log.warn(fields, 'webhook delivery gave up');
      throw new UnrecoverableError(why);
    }
    d.log.info({ ...fields, retry_in_ms: retryInMs }, 'webhook delivery failed; will retry');
    throw new RetryLater(why, retryInMs);
  };
}

/**
 * BullMQ's delay before a retry: the one the attempt chose, or, for a run that failed
 * otherwise (an unexpected error), the schedule's next delay.
 * -1 (no retry) past the end of the schedule.
 */
export const backoffStrategy =
  (schedule: readonly number[]): BackoffStrategy =>
  (attemptsMade, _type, err) => {
    if (err instanceof RetryLater) return err.delayMs;
    const next = schedule[attemptsMade];
    return next === undefined ? -1 : jitter(next);
  };
