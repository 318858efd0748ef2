// The publisher's Prometheus metrics, served on its admin port at /metrics (no token).
import { Counter, Gauge, Histogram, MS_BUCKETS, createRegistry, type Registry } from '@alto/telemetry';

export interface PublisherMetrics {
  registry: Registry;
  leader: Gauge;
  reconcile: Histogram<'result'>;
  models: Gauge<'state'>;
  workers: Gauge<'alive'>;
  deadWorkers: Counter;
}

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
  };
}
