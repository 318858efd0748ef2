// The worker's Prometheus metrics.
import { BATCH_BUCKETS, Counter, Gauge, Histogram, MS_BUCKETS, createRegistry, type Registry } from '@alto/telemetry';

export interface WorkerMetrics {
  registry: Registry;
  predictions: Counter<'model' | 'status'>;
  queueWait: Histogram<'model'>;
  inference: Histogram<'model'>;
  batchSize: Histogram<'model'>;
  busy: Gauge<'model'>;
  keyPredictions: Counter<'key' | 'model' | 'status'>;
  keyCompute: Counter<'key' | 'model'>;
}

export function createWorkerMetrics(workerId: string): WorkerMetrics {
  const registry = createRegistry({ worker: workerId });
  return {
    registry,
    predictions: new Counter({
      name: 'alto_worker_predictions_total',
      help: 'Predictions finished by this worker, by outcome.',
      labelNames: ['model', 'status'],
      registers: [registry],
    }),
    queueWait: new Histogram({
      name: 'alto_worker_queue_wait_ms',
      help: 'Time from submission to the start of inference.',
      labelNames: ['model'],
      buckets: MS_BUCKETS,
      registers: [registry],
    }),
    inference: new Histogram({
      name: 'alto_worker_inference_ms',
      help: 'Time inside session.run per batch.',
      labelNames: ['model'],
      buckets: MS_BUCKETS,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'alto_worker_batch_size',
      help: 'Rows per inference.',
      labelNames: ['model'],
      buckets: BATCH_BUCKETS,
      registers: [registry],
    }),
    busy: new Gauge({
      name: 'alto_worker_busy_batches',
      help: 'Batches being computed now.',
      labelNames: ['model'],
      registers: [registry],
    }),
    keyPredictions: new Counter({
      name: 'alto_key_predictions_total',
      help:
        "Predictions settled by this worker per API key ('key': a managed key's id, else 'bootstrap', 'anonymous' " +
        "or 'unknown'), model and status (docs/api-keys.md).",
      labelNames: ['key', 'model', 'status'],
      registers: [registry],
    }),
    keyCompute: new Counter({
      name: 'alto_key_compute_seconds_total',
      help: "Inference seconds per API key and model: each batch's time split across its requests by rows.",
      labelNames: ['key', 'model'],
      registers: [registry],
    }),
  };
}
