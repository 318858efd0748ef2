// The dispatcher's Prometheus metrics, served on ALTO_METRICS_PORT beside /healthz: delivery
// attempts by outcome and how long they took, the attempt a delivery ended on, and the
// backlog of the `webhooks` queue (read from BullMQ when scraped).
import { Counter, Gauge, Histogram, MS_BUCKETS, createRegistry, type Registry } from '@alto/telemetry';

/** How one attempt ended: delivered, failed with a retry scheduled, or failed for good. */
export type AttemptOutcome = 'delivered' | 'retrying' | 'gave_up';

/** Job states of the webhooks queue reported as backlog. */
export const BACKLOG_STATES = ['waiting', 'delayed', 'active', 'failed'] as const;
export type BacklogState = (typeof BACKLOG_STATES)[number];

export interface DispatcherMetrics {
  registry: Registry;
  /** Attempts by event and outcome. */
  attempts: Counter<'event' | 'outcome'>;
  /** Per finished delivery (delivered or given up): the attempt it ended on. */
  deliveries: Histogram<'event' | 'outcome'>;
  /** Duration of each attempt, by outcome. */
  duration: Histogram<'outcome'>;
}

/** Attempt numbers: 1..12, past any retry schedule in use. */
const ATTEMPT_BUCKETS = [1, 2, 3, 4, 5, 6, 8, 10, 12];

export function createDispatcherMetrics(
  dispatcherId: string,
  backlog: () => Promise<Partial<Record<BacklogState, number>>> = async () => ({}),
): DispatcherMetrics {
  const registry = createRegistry({ dispatcher: dispatcherId });
  new Gauge({
    name: 'alto_webhook_backlog',
    help: 'Delivery jobs in the webhooks queue by state (waiting, delayed: a retry pending, active, failed: given up).',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await backlog();
      for (const state of BACKLOG_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  return {
    registry,
    attempts: new Counter({
      name: 'alto_webhook_attempts_total',
      help: 'Webhook delivery attempts by event and outcome (delivered, retrying, gave_up).',
      labelNames: ['event', 'outcome'],
      registers: [registry],
    }),
    deliveries: new Histogram({
      name: 'alto_webhook_delivery_attempts',
      help: 'Finished deliveries (outcome delivered or gave_up) by the attempt they ended on.',
      labelNames: ['event', 'outcome'],
      buckets: ATTEMPT_BUCKETS,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'alto_webhook_attempt_duration_ms',
      help: 'Duration of a delivery attempt (request to answer, or to the timeout), by outcome.',
      labelNames: ['outcome'],
      buckets: MS_BUCKETS,
      registers: [registry],
    }),
  };
}
