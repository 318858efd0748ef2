// Prometheus metrics of the batches this gateway feeds: lines finished by outcome, and per
// batch being fed, its outstanding predictions and rows per second (series removed when
// the batch ends here).
import type { BatchMetrics } from '@alto/batches';
import { Counter, Gauge, type Registry } from '@alto/telemetry';

export function batchMetrics(registry: Registry): BatchMetrics {
  const rows = new Counter({
    name: 'alto_batch_rows_total',
    help: "Batch lines whose result this gateway wrote, by outcome: 'succeeded', 'failed', 'canceled'.",
    labelNames: ['outcome'],
    registers: [registry],
  });
  const outstanding = new Gauge({
    name: 'alto_batch_outstanding',
    help: "Predictions of a batch this gateway feeds that are queued or running (bounded by the model's queue).",
    labelNames: ['batch'],
    registers: [registry],
  });
  const rate = new Gauge({
    name: 'alto_batch_rows_per_second',
    help: 'Lines finished per second since the batch started, for each batch this gateway feeds.',
    labelNames: ['batch'],
    registers: [registry],
  });
  const set = (g: Gauge<'batch'>, batch: string, v: number | undefined) =>
    v === undefined ? g.remove({ batch }) : g.set({ batch }, v);
  return {
    rows: (outcome, n) => rows.inc({ outcome }, n),
    outstanding: (batch, n) => set(outstanding, batch, n),
    rate: (batch, v) => set(rate, batch, v),
  };
}
