// Reads the autoscaling signal's inputs from Redis every interval — each published model's
// stream lengths and entries-added counts (XINFO STREAM), its live replicas, the live workers
// by pool — and hands them to @alto/control's ScaleTracker, which decides. Every publisher
// samples, leader or not (it only reads), so any of them answers GET /v1/admin/scaling.
import {
  ScaleTracker,
  modelPool,
  workerPool,
  type ControlStore,
  type ModelSample,
  type ScalingReport,
  type ScalingSettings,
} from '@alto/control';
import { modelStreams, type Keys } from '@alto/queue';
import type { Logger } from '@alto/telemetry';
import type { Redis } from 'ioredis';
import type { PublisherMetrics } from '../metrics.ts';

export interface SamplerOptions {
  redis: Redis;
  keys: Keys;
  store: ControlStore;
  settings: ScalingSettings;
  workerTimeoutMs: number;
  /** @default 1000 */
  intervalMs?: number;
  log: Logger;
  metrics?: PublisherMetrics;
}

/** `entries-added` of an XINFO STREAM reply (a flat field/value list); undefined before Redis 7. */
function entriesAdded(reply: unknown): number | undefined {
  if (!Array.isArray(reply)) return undefined;
  const i = reply.indexOf('entries-added');
  return i >= 0 && i % 2 === 0 ? Number(reply[i + 1]) : undefined;
}

const noSuchKey = (err: Error | null) => err !== null && /no such key/i.test(err.message);

export class ScalingSampler {
  private readonly tracker: ScaleTracker;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ScalingReport> | undefined;

  constructor(private readonly o: SamplerOptions) {
    this.tracker = new ScaleTracker(o.settings, Date.now());
  }

  start(): void {
    const tick = () => {
      void this.sample()
        .catch((err: unknown) => this.o.log.warn({ err }, 'sampling the scaling signal failed'))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.o.intervalMs ?? 1000).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Samples now (one at a time) and returns the decision. */
  async sample(): Promise<ScalingReport> {
    this.running ??= this.read().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async read(): Promise<ScalingReport> {
    const { store, redis, keys } = this.o;
    const [specs, states, catalog, reports, drained] = await Promise.all([
      store.specs(),
      store.states(),
      store.catalog(),
      store.reports(),
      store.drained(),
    ]);
    const now = Date.now();
    const samples = await Promise.all(
      [...specs.values()].map(async (spec): Promise<ModelSample> => {
        // Unpinned requests, and those pinning a version it serves or served last.
        const state = states.get(spec.name);
        const versions = new Set(catalog.get(spec.name)?.versions ?? []);
        for (const v of [state?.serving_version, state?.target_version]) if (v) versions.add(v);
        const streams = [
          modelStreams(keys, spec.name),
          ...[...versions].map((v) => modelStreams(keys, spec.name, v)),
        ].flatMap((m) => m.all);
        // One pipeline per model: its keys share a hash tag (one Redis Cluster slot).
        const pipe = redis.pipeline().zcount(keys.replicas(spec.name), now, '+inf');
        for (const s of streams) pipe.xlen(s).xinfo('STREAM', s);
        const replies = (await pipe.exec()) ?? [];
        const [zerr, ready] = replies[0] ?? [new Error('no reply to ZCOUNT'), 0];
        if (zerr) throw zerr;
        const rest = replies.slice(1);
        let backlog = 0;
        let added: number | undefined = 0;
        for (let i = 0; i < rest.length; i += 2) {
          const [lerr, len] = rest[i]!;
          const [ierr, info] = rest[i + 1]!;
          if (lerr) throw lerr;
          backlog += Number(len);
          if (noSuchKey(ierr)) continue; // never written: nothing added
          if (ierr) throw ierr;
          const n = entriesAdded(info);
          added = n === undefined || added === undefined ? undefined : added + n;
        }
        return {
          model: spec.name,
          pool: modelPool(spec.constraints, spec.execution_provider),
          backlog,
          added,
          readyReplicas: Number(ready),
          maxReplicas: spec.replicas,
          firstLoad: !catalog.has(spec.name) && state?.target_version !== undefined && state.state !== 'failed',
          unplaced: state?.state === 'unplaceable',
          specUpdatedAt: spec.updated_at,
        };
      }),
    );
    const workers = new Map<string, number>();
    for (const r of reports.values()) {
      const live = now - r.seen <= this.o.workerTimeoutMs && !drained.has(r.id) && r.state !== 'draining';
      if (live && r.state !== 'stopped') workers.set(workerPool(r), (workers.get(workerPool(r)) ?? 0) + 1);
    }
    const report = this.tracker.sample(now, samples, workers);
    this.export(report);
    return report;
  }

  private export(report: ScalingReport): void {
    const m = this.o.metrics;
    if (!m) return;
    for (const g of [m.poolDesired, m.poolWorkers, m.poolBacklog, m.poolArrivalRate]) g.reset();
    for (const p of report.pools) {
      m.poolDesired.set({ pool: p.pool }, p.desired_workers);
      m.poolWorkers.set({ pool: p.pool }, p.current_workers);
      m.poolBacklog.set({ pool: p.pool }, p.backlog);
      m.poolArrivalRate.set({ pool: p.pool }, p.arrival_rate);
    }
  }
}
