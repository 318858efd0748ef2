// The publisher's Prometheus metrics, served on its admin port at /metrics (no token).
import { Counter, Gauge, Histogram, MS_BUCKETS, createRegistry, type Registry } from '@alto/telemetry';

export interface PublisherMetrics {
  registry: Registry;
  leader: Gauge;
  reconcile: Histogram<'result'>;
  models: Gauge<'state'>;
  workers: Gauge<'alive'>;
  deadWorkers: Counter;
  poolDesired: Gauge<'pool'>;
  poolWorkers: Gauge<'pool'>;
  poolBacklog: Gauge<'pool'>;
  poolArrivalRate: Gauge<'pool'>;
}

const poolGauge = (registry: Registry, name: string, help: string) =>
  new Gauge({ name, help, labelNames: ['pool'], registers: [registry] });

export function createPublisherMetrics(publisherId: string): PublisherMetrics {
  const registry = createRegistry({ publisher: publisherId });
  return {
    registry,
    leader: new Gauge({
      name: 'alto_publisher_leader',
      help: '1 while this publisher holds the leader lease.',
      registers: [registry],
    }),
    reconcile: new Histogram({
      name: 'alto_publisher_reconcile_ms',
      help: 'Duration of a reconcile pass of the leader, by result (ok, lost_lease, error).',
      labelNames: ['result'],
      buckets: MS_BUCKETS,
      registers: [registry],
    }),
    models: new Gauge({
      name: 'alto_publisher_models',
      help: 'Published models by state, as the leader last observed.',
      labelNames: ['state'],
      registers: [registry],
    }),
    workers: new Gauge({
      name: 'alto_publisher_workers',
      help: 'Registered workers, alive or not.',
      labelNames: ['alive'],
      registers: [registry],
    }),
    deadWorkers: new Counter({
      name: 'alto_publisher_dead_workers_total',
      help: 'Workers this publisher found dead.',
      registers: [registry],
    }),
    poolDesired: poolGauge(
      registry,
      'alto_pool_desired_workers',
      'Workers the pool needs now, by the backlog, arrivals and measured throughput (docs/autoscaling.md).',
    ),
    poolWorkers: poolGauge(registry, 'alto_pool_workers', 'Live workers of the pool, drained ones not counted.'),
    poolBacklog: poolGauge(registry, 'alto_pool_backlog', "Requests queued or running for the pool's models."),
    poolArrivalRate: poolGauge(
      registry,
      'alto_pool_arrival_rate',
      "Requests per second arriving for the pool's models, over the last 10 s.",
    ),
  };
}
