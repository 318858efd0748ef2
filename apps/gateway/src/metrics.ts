// The gateway's Prometheus metrics; queue depth and replicas are read from Redis at scrape.
import type { ModelRegistry, RedisModelRegistry } from '@alto/queue';
import { Counter, Gauge, Histogram, MS_BUCKETS, createRegistry, type Registry } from '@alto/telemetry';

export interface GatewayMetrics {
  registry: Registry;
  requests: Counter<'model' | 'status'>;
  duration: Histogram<'route'>;
  waiting: Gauge;
}

export function createGatewayMetrics(models: ModelRegistry, status: RedisModelRegistry): GatewayMetrics {
  const registry = createRegistry();
  const read = async () => {
    const names = (await models.list()).map((m) => m.name);
    return status.status(names);
  };
  new Gauge({
    name: 'alto_queue_depth',
    help: 'Requests accepted and not yet finished, per model.',
    labelNames: ['model'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [model, s] of await read().catch(() => new Map())) this.set({ model }, s.queueDepth);
    },
  });
  new Gauge({
    name: 'alto_ready_replicas',
    help: 'Workers with a live heartbeat, per model.',
    labelNames: ['model'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [model, s] of await read().catch(() => new Map())) this.set({ model }, s.readyReplicas);
    },
  });
  return {
    registry,
    requests: new Counter({
      name: 'alto_gateway_predictions_total',
      help: 'Prediction requests by model and HTTP status.',
      labelNames: ['model', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'alto_gateway_request_duration_ms',
      help: 'HTTP request duration by route.',
      labelNames: ['route'],
      buckets: MS_BUCKETS,
      registers: [registry],
    }),
    waiting: new Gauge({
      name: 'alto_gateway_waiting_requests',
      help: 'Requests held open by Prefer: wait.',
      registers: [registry],
    }),
  };
}
