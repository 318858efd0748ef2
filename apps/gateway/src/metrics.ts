// The gateway's Prometheus metrics; queue depth and replicas are read from Redis at scrape.
import type { MemoryGauge, ModelRegistry, RedisModelRegistry } from '@alto/queue';
import { Counter, Gauge, Histogram, MS_BUCKETS, createRegistry, type Registry } from '@alto/telemetry';

export interface GatewayMetrics {
  registry: Registry;
  requests: Counter<'model' | 'status'>;
  duration: Histogram<'route'>;
  waiting: Gauge;
  notices: Counter<'channel'>;
  keyPredictions: Counter<'key' | 'model' | 'outcome'>;
  keySettled: Counter<'key' | 'model' | 'status'>;
}

export function createGatewayMetrics(
  models: ModelRegistry,
  status: RedisModelRegistry,
  memory?: MemoryGauge,
): GatewayMetrics {
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
  if (memory) {
    // The reading admission uses (fullest master in cluster mode); alert on their ratio
    // reaching ALTO_REDIS_MEMORY_HIGH_WATER (docs/deploy.md).
    new Gauge({
      name: 'alto_redis_memory_used_bytes',
      help: "Redis used_memory, as the gateway's memory admission last read it.",
      registers: [registry],
      async collect() {
        const r = await memory.read().catch(() => undefined);
        if (r) this.set(r.usedBytes);
      },
    });
    new Gauge({
      name: 'alto_redis_memory_max_bytes',
      help: 'Redis maxmemory (0: unbounded), beside alto_redis_memory_used_bytes.',
      registers: [registry],
      async collect() {
        const r = await memory.read().catch(() => undefined);
        if (r) this.set(r.maxBytes);
      },
    });
  }
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
    notices: new Counter({
      name: 'alto_gateway_completion_notices_total',
      help:
        "Completion notices received: channel 'own' (this gateway's waiting requests), 'shared' " +
        '(from scripts of earlier versions, during an upgrade).',
      labelNames: ['channel'],
      registers: [registry],
    }),
    keyPredictions: new Counter({
      name: 'alto_gateway_key_predictions_total',
      help:
        "Predictions of managed API keys by key id, model and outcome: 'accepted', 'rate_limited', " +
        "'quota_exceeded' (docs/api-keys.md).",
      labelNames: ['key', 'model', 'outcome'],
      registers: [registry],
    }),
    keySettled: new Counter({
      name: 'alto_key_predictions_total',
      help:
        "Predictions canceled through this gateway per API key and model (status 'canceled'); workers count the " +
        'other statuses under the same name (docs/api-keys.md).',
      labelNames: ['key', 'model', 'status'],
      registers: [registry],
    }),
  };
}
