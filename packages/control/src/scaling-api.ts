// The wire contract of the admin API's autoscaling signal (GET /v1/admin/scaling and
// /v1/admin/scaling/pools/{pool}): what scaling.ts decides, as the publisher answers it and
// KEDA's metrics-api trigger reads it (`valueLocation: desired_workers`).
import { z } from 'zod';

export const ModelScalingSchema = z.object({
  model: z.string(),
  backlog: z.number().int().min(0).describe('Entries in its request streams: queued and running.'),
  arrival_rate: z.number().min(0).describe('Requests per second over the last 10 s.'),
  ready_replicas: z.number().int().min(0),
  throughput_per_replica: z
    .number()
    .nullable()
    .describe('Completions per second per ready replica, measured while the replicas had a queue; null until then.'),
  desired_replicas: z.number().int().min(0).describe("Replicas it needs now (at most its spec's `replicas`)."),
});

export const PoolScalingSchema = z.object({
  pool: z.string().describe('The accelerator kind, then the tags: `cpu`, `gpu-team-ml` (docs/autoscaling.md).'),
  desired_workers: z.number().int().min(0).describe('Workers the pool needs now: what an autoscaler should run.'),
  current_workers: z.number().int().min(0).describe('Live workers of the pool, drained ones not counted.'),
  backlog: z.number().int().min(0),
  arrival_rate: z.number().min(0),
  throughput_per_worker: z
    .number()
    .nullable()
    .describe("The lowest measured per-replica throughput of the pool's models; null until one is measured."),
  idle_for_s: z.number().int().min(0).nullable().describe('Seconds since the pool last had work; null while busy.'),
  models: z.array(ModelScalingSchema),
});

export const ScalingReportSchema = z.object({
  target_drain_s: z.number().describe('ALTO_SCALE_TARGET_DRAIN_S: the backlog should drain within it.'),
  idle_s: z.number().describe('ALTO_SCALE_IDLE_S: a pool without work this long goes to zero.'),
  pools: z.array(PoolScalingSchema),
});
