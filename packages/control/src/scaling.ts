// How many workers each pool needs, from what the request streams show: a pure state machine
// fed one sample of every published model at a time (the publisher's sampler reads them from
// Redis). It decides; it starts and stops nothing — KEDA, a managed instance group or the
// local fleet act on its answer.
//
// Per model: backlog b (stream length: queued and running), arrival rate r (entries added per
// second over the last RATE_WINDOW_MS) and per-replica throughput t (completions per second
// per ready replica, measured only while the replicas had more work than they could hold, so
// that it is capacity, not demand). Needed replicas: ceil((b / target_drain_s + r) / t), the
// count that serves the arrivals and drains the backlog within the target (SageMaker's
// backlog-per-instance idea), capped by the model's `replicas`, which is the most it takes.
// Before t is known: at least one, and the replicas already serving.
// Per pool: the most any of its models needs, and at least one while any has work (scale from
// zero: a request queued for a model at zero makes its pool want a worker at the next sample).
// Without work: one (the last warm worker) until the pool has been idle ALTO_SCALE_IDLE_S,
// then zero — but never more than it has. A model published and never served yet keeps one
// worker wanted until a replica has loaded it once: its signature (what requests are checked
// against) is learned from that load. If no worker of its pool can take it (state
// unplaceable while the pool has one) for FIRST_LOAD_PATIENCE, it stops asking until its spec
// changes, so that a model no worker can run neither holds a pool up nor starts one in a loop.

import type { z } from 'zod';
import type { ModelScalingSchema, PoolScalingSchema, ScalingReportSchema } from './scaling-api.ts';

/** Arrivals are counted over this window. */
export const RATE_WINDOW_MS = 10_000;
/** Weight of a new throughput measurement. */
const EWMA = 0.5;
/** How long a never-served model may stay unplaceable beside a live worker of its pool and still want one (at least ALTO_SCALE_IDLE_S). */
export const FIRST_LOAD_PATIENCE_MS = 600_000;
/** Samples closer than this apart measure no throughput (too noisy). */
const MIN_INTERVAL_MS = 500;

export interface ScalingSettings {
  /** Seconds the backlog should drain in (ALTO_SCALE_TARGET_DRAIN_S). */
  targetDrainS: number;
  /** Seconds without work before a pool goes to zero (ALTO_SCALE_IDLE_S). */
  idleS: number;
}

/** One model as a sample sees it. */
export interface ModelSample {
  model: string;
  pool: string;
  /** Entries in its streams: queued and running. */
  backlog: number;
  /** Entries ever added to its streams (XINFO STREAM entries-added); undefined when the server does not say. */
  added: number | undefined;
  readyReplicas: number;
  /** Its spec's `replicas`: the most it is given. */
  maxReplicas: number;
  /** Published with a servable version, and never served yet. */
  firstLoad: boolean;
  /** No worker took a replica (state unplaceable). */
  unplaced: boolean;
  /** Its spec's updated_at: a change starts a first load's patience over. */
  specUpdatedAt: number;
}

// The decision's shape is the admin API's (scaling-api.ts): one definition.
export type ModelScaling = z.infer<typeof ModelScalingSchema>;
export type PoolScaling = z.infer<typeof PoolScalingSchema>;
export type ScalingReport = z.infer<typeof ScalingReportSchema>;

interface ModelHistory {
  /** (time, entries added) over the rate window, oldest first. */
  added: { at: number; added: number }[];
  last?: { at: number; added: number; backlog: number; ready: number };
  throughput?: number;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Needed replicas of one model (see the module comment). */
export function neededReplicas(
  s: Pick<ModelSample, 'backlog' | 'readyReplicas' | 'maxReplicas' | 'firstLoad'>,
  arrivalRate: number,
  throughput: number | undefined,
  targetDrainS: number,
): number {
  if (s.maxReplicas <= 0) return 0;
  let need = 0;
  if (s.backlog > 0 || arrivalRate > 0) {
    need =
      throughput && throughput > 0
        ? Math.ceil((s.backlog / targetDrainS + arrivalRate) / throughput - 1e-9)
        : Math.max(1, s.readyReplicas);
    need = Math.max(1, need);
  }
  if (s.firstLoad) need = Math.max(need, 1);
  return Math.min(need, s.maxReplicas);
}

/** A pool's desired workers from its models' needs, whether it has work, its idle time and its size. */
export function poolDesired(needs: readonly number[], busy: boolean, idleForS: number, idleS: number, current: number) {
  if (busy) return Math.max(1, ...needs);
  return idleForS >= idleS ? 0 : Math.min(current, 1);
}

export class ScaleTracker {
  private readonly history = new Map<string, ModelHistory>();
  /** When each pool last had work; pools first seen count from the tracker's start. */
  private readonly lastBusy = new Map<string, number>();
  /** Never-served models: since when each has been unplaceable beside a live worker of its pool, per spec. */
  private readonly unplacedSince = new Map<string, { spec: number; since: number | undefined }>();

  constructor(
    private readonly settings: ScalingSettings,
    private readonly startedAt: number,
  ) {}

  /** Records one sample of every published model at `now` and decides. `workers`: live workers by pool. */
  sample(now: number, models: readonly ModelSample[], workers: ReadonlyMap<string, number>): ScalingReport {
    const { targetDrainS, idleS } = this.settings;
    for (const name of this.history.keys()) if (!models.some((m) => m.model === name)) this.history.delete(name);
    const byPool = new Map<string, ModelScaling[]>();
    const busy = new Set<string>();
    for (const sampled of models) {
      const m = { ...sampled, firstLoad: this.wantsFirstLoad(now, sampled, workers.get(sampled.pool) ?? 0) };
      const { rate, throughput } = this.observe(now, m);
      if (m.maxReplicas > 0 && (m.backlog > 0 || rate > 0 || m.firstLoad)) busy.add(m.pool);
      const list = byPool.get(m.pool) ?? [];
      list.push({
        model: m.model,
        backlog: m.backlog,
        arrival_rate: round(rate),
        ready_replicas: m.readyReplicas,
        throughput_per_replica: throughput === undefined ? null : round(throughput),
        desired_replicas: neededReplicas(m, rate, throughput, targetDrainS),
      });
      byPool.set(m.pool, list);
    }
    const names = [...new Set([...byPool.keys(), ...workers.keys()])].sort();
    const pools = names.map((pool): PoolScaling => {
      const list = (byPool.get(pool) ?? []).sort((a, b) => a.model.localeCompare(b.model));
      if (busy.has(pool)) this.lastBusy.set(pool, now);
      const idleFor = (now - (this.lastBusy.get(pool) ?? this.startedAt)) / 1000;
      const current = workers.get(pool) ?? 0;
      const measured = list.flatMap((m) => (m.throughput_per_replica === null ? [] : [m.throughput_per_replica]));
      return {
        pool,
        desired_workers: poolDesired(
          list.map((m) => m.desired_replicas),
          busy.has(pool),
          idleFor,
          idleS,
          current,
        ),
        current_workers: current,
        backlog: list.reduce((a, m) => a + m.backlog, 0),
        arrival_rate: round(list.reduce((a, m) => a + m.arrival_rate, 0)),
        throughput_per_worker: measured.length ? Math.min(...measured) : null,
        idle_for_s: busy.has(pool) ? null : Math.round(idleFor),
        models: list,
      };
    });
    return { target_drain_s: targetDrainS, idle_s: idleS, pools };
  }

  /** Whether a never-served model still wants a worker to load it (see FIRST_LOAD_PATIENCE_MS). */
  private wantsFirstLoad(now: number, m: ModelSample, poolWorkers: number): boolean {
    if (!m.firstLoad) {
      this.unplacedSince.delete(m.model);
      return false;
    }
    let u = this.unplacedSince.get(m.model);
    if (!u || u.spec !== m.specUpdatedAt) {
      u = { spec: m.specUpdatedAt, since: undefined };
      this.unplacedSince.set(m.model, u);
    }
    if (u.since === undefined && m.unplaced && poolWorkers > 0) u.since = now;
    // Placed meanwhile (loading): the clock waits for the next time it cannot be placed.
    else if (u.since !== undefined && !m.unplaced && now - u.since < this.patienceMs()) u.since = undefined;
    return u.since === undefined || now - u.since < this.patienceMs();
  }

  private patienceMs(): number {
    return Math.max(FIRST_LOAD_PATIENCE_MS, this.settings.idleS * 1000);
  }

  /** Updates a model's history with a sample; its arrival rate and throughput so far. */
  private observe(now: number, m: ModelSample): { rate: number; throughput: number | undefined } {
    const h = this.history.get(m.model) ?? { added: [] };
    this.history.set(m.model, h);
    if (m.added === undefined) return { rate: 0, throughput: h.throughput };
    // A stream deleted and made again restarts its count: start the history over.
    if (h.last && m.added < h.last.added) {
      h.added = [];
      delete h.last;
    }
    h.added.push({ at: now, added: m.added });
    while (h.added.length > 2 && now - h.added[1]!.at >= RATE_WINDOW_MS) h.added.shift();
    const first = h.added[0]!;
    const rate = now > first.at ? ((m.added - first.added) * 1000) / (now - first.at) : 0;
    const prev = h.last;
    if (prev && now - prev.at >= MIN_INTERVAL_MS) {
      // Capacity shows only while every ready replica had more work than it held, at both ends.
      const saturated = prev.ready > 0 && m.readyReplicas > 0 && Math.min(prev.backlog, m.backlog) > m.readyReplicas;
      const done = m.added - prev.added - (m.backlog - prev.backlog);
      if (saturated && done > 0) {
        const replicas = Math.min(prev.ready, m.readyReplicas);
        const measured = (done * 1000) / (now - prev.at) / replicas;
        h.throughput = h.throughput === undefined ? measured : EWMA * measured + (1 - EWMA) * h.throughput;
      }
    }
    if (!prev || now - prev.at >= MIN_INTERVAL_MS)
      h.last = { at: now, added: m.added, backlog: m.backlog, ready: m.readyReplicas };
    return { rate, throughput: h.throughput };
  }
}
