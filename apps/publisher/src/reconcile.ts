// One pass of the leader: read specs, worker reports and current assignments; decide the
// target version of each model; plan; write only what changed (fenced on the lease).
import {
  Batch,
  plan,
  type AssignedModel,
  type ControlStore,
  type Assignment,
  type ModelSpec,
  type ModelState,
  type PlanModel,
  type WorkerReport,
} from '@alto/control';
import type { ModelInfo } from '@alto/protocol';
import { CheckpointCache, checkpointBytes, compareVersions } from '@alto/repository';
import type { Logger } from '@alto/telemetry';
import type { PublisherMetrics } from './metrics.ts';
import { aliveWorkers, chooseVersion, failKey, finishState, placementConstraints, planWorkers } from './plan-inputs.ts';
import type { VersionWatcher } from './versions.ts';

export interface ReconcileOptions {
  store: ControlStore;
  watcher: VersionWatcher;
  log: Logger;
  workerTimeoutMs: number;
  /** Called once per worker that has just been found dead. */
  onDead?: (report: WorkerReport) => Promise<void>;
  metrics?: PublisherMetrics;
}

export class Reconciler {
  private readonly dead = new Set<string>();

  constructor(private readonly o: ReconcileOptions) {}

  /** Runs one pass as `leaderId` in `epoch`; false when the lease was lost meanwhile. */
  async pass(leaderId: string, epoch: number, now = Date.now()): Promise<boolean> {
    const { store } = this.o;
    const [specs, reports, assignments, states, catalog, versionInfos, drained] = await Promise.all([
      store.specs(),
      store.reports(),
      store.assignments(),
      store.states(),
      store.catalog(),
      store.versionInfos(),
      store.drained(),
    ]);
    const alive = aliveWorkers(reports.values(), now, this.o.workerTimeoutMs);
    await this.noticeDeaths(reports, alive, now);

    // Listing base URIs runs in parallel: one slow store does not hold the others up.
    const targets = await Promise.all(
      [...specs.values()].map((spec) => this.target(spec, states.get(spec.name), alive, now)),
    );
    const models: PlanModel[] = targets.map((t) => t.model);
    const nextStates = new Map(targets.map((t) => [t.model.name, t.state]));
    const workers = planWorkers(alive, drained);
    const current = new Map([...assignments].map(([id, a]) => [id, a.models]));
    const out = plan({ models, workers, current, cacheKey: (m) => CheckpointCache.key(m.checkpoint) });

    const batch = new Batch();
    const k = store.keys;
    for (const [id, list] of out.assignments) {
      const before = assignments.get(id);
      if (before && sameModels(before.models, list)) continue;
      batch.set(k.assignments, id, { epoch, models: list } satisfies Assignment).publish(k.assignChannel, id);
    }
    for (const id of assignments.keys()) {
      if (!out.assignments.has(id)) batch.del(k.assignments, id).publish(k.assignChannel, id);
    }
    for (const r of reports.values()) {
      // Forget workers silent for four timeouts; until then `alto workers` shows them dead.
      if (now - r.seen > 4 * this.o.workerTimeoutMs) batch.del(k.workers, r.id);
    }

    this.catalog(batch, specs, alive, catalog, versionInfos, nextStates);
    // States: finish each with what the plan says about replicas.
    for (const [name, state] of nextStates) {
      const spec = specs.get(name)!;
      finishState(state, spec, out.models.get(name)!);
      const before = states.get(name);
      if (!before || !sameState(before, state) || before.updated_at < spec.updated_at) batch.set(k.states, name, state);
    }
    for (const name of states.keys()) if (!specs.has(name)) batch.del(k.states, name);

    this.observe(nextStates, reports.size, alive.length);
    const ok = await store.commit(leaderId, batch);
    if (!ok) this.o.log.warn('lost the leader lease during a reconcile; nothing was written');
    return ok;
  }

  /** The version to serve and the state so far; the plan completes the state. */
  private async target(spec: ModelSpec, prior: ModelState | undefined, alive: WorkerReport[], now: number) {
    const listing = await this.o.watcher.list(spec, now);
    // Failures are forgotten when the spec changes (`alto update` retries a failed version).
    const failed = prior && prior.updated_at >= spec.updated_at ? { ...prior.failed } : {};
    const state: ModelState = {
      state: 'pending',
      versions: listing.versions.map((v) => v.version),
      ready_replicas: 0,
      failed,
      updated_at: now,
    };
    const model: PlanModel = {
      name: spec.name,
      replicas: spec.replicas,
      memory: 0,
      constraints: spec.constraints,
      target: undefined,
    };
    // Record load failures workers report for this model's versions.
    for (const r of alive) {
      for (const h of r.models) {
        if (h.name !== spec.name || h.state !== 'failed') continue;
        const v = listing.versions.find((x) => x.version === h.version && x.uri === h.uri);
        if (v && !failed[failKey(v.version, v.generation)]) {
          failed[failKey(v.version, v.generation)] = h.error ?? 'failed to load';
          this.o.log.warn(
            { model: spec.name, version: v.version, worker: r.id, error: h.error },
            'version failed to load',
          );
        }
      }
    }
    if (listing.error) state.error = `listing ${spec.uri}: ${listing.error}`;
    const choice = chooseVersion(spec, listing, failed);
    if (!choice.chosen) {
      Object.assign(state, { state: choice.state, reason: choice.reason });
      if (choice.error) state.error = choice.error;
      return { model, state };
    }
    if (choice.error) state.error = choice.error;
    const { chosen } = choice;
    const placement = placementConstraints(spec, chosen);
    if ('error' in placement) {
      Object.assign(state, { state: 'failed', reason: placement.error });
      return { model, state };
    }
    state.runtime = placement.runtime;
    let config;
    try {
      config = await this.o.watcher.config(spec, chosen);
    } catch (err) {
      Object.assign(state, { state: 'failed', reason: (err as Error).message });
      return { model, state };
    }
    const memory = spec.memory_bytes ?? Math.max(2 * checkpointBytes(chosen), 1 << 20);
    const target: AssignedModel = {
      name: spec.name,
      version: chosen.version,
      base_uri: spec.uri,
      checkpoint: chosen,
      config,
      memory_bytes: memory,
      ...(spec.execution_provider ? { execution_provider: spec.execution_provider } : {}),
    };
    state.target_version = chosen.version;
    return { model: { ...model, memory, target, constraints: placement.constraints }, state };
  }

  /** Catalog entries: for each model, the newest ready version takes unpinned requests. */
  private catalog(
    batch: Batch,
    specs: Map<string, ModelSpec>,
    alive: WorkerReport[],
    catalog: Map<string, ModelInfo>,
    versionInfos: Map<string, ModelInfo>,
    states: Map<string, ModelState>,
  ): void {
    const k = this.o.store.keys;
    const ready = new Map<string, ModelInfo>();
    for (const r of alive) {
      for (const h of r.models)
        if (h.state === 'ready' && h.info && specs.has(h.name)) ready.set(`${h.name}@${h.version}`, h.info);
    }
    let changed = false;
    for (const [key, info] of ready) {
      const before = versionInfos.get(key);
      if (!before || JSON.stringify(before) !== JSON.stringify(info)) batch.set(k.modelVersions, key, info);
    }
    // A model with no ready replica keeps its versions' entries, as it keeps its catalog entry
    // below: requests pinning a version queue at zero replicas too (docs/autoscaling.md).
    const serving = new Set([...ready.values()].map((i) => i.name));
    for (const key of versionInfos.keys()) {
      const name = key.slice(0, key.indexOf('@'));
      if (!ready.has(key) && (serving.has(name) || !specs.has(name))) batch.del(k.modelVersions, key);
    }
    for (const spec of specs.values()) {
      const mine = [...ready.values()].filter((i) => i.name === spec.name);
      if (mine.length === 0) continue; // Keep the last entry: requests queue while replicas come back.
      const versions = mine.map((i) => i.version).sort(compareVersions);
      const state = states.get(spec.name);
      const serving =
        mine.find((i) => i.version === state?.target_version) ?? mine.find((i) => i.version === versions.at(-1))!;
      if (state) state.serving_version = serving.version;
      const entry: ModelInfo = { ...serving, versions };
      const before = catalog.get(spec.name);
      if (!before || JSON.stringify(before) !== JSON.stringify(entry)) {
        batch.set(k.models, spec.name, entry);
        changed = true;
      }
    }
    for (const name of catalog.keys()) {
      if (!specs.has(name)) {
        batch.del(k.models, name);
        changed = true;
      }
    }
    if (changed) batch.publish(k.catalogChannel, '*');
  }

  private observe(states: Map<string, ModelState>, registered: number, alive: number): void {
    const m = this.o.metrics;
    if (!m) return;
    m.models.reset();
    for (const state of states.values()) m.models.inc({ state: state.state });
    m.workers.set({ alive: 'true' }, alive);
    m.workers.set({ alive: 'false' }, registered - alive);
  }

  private async noticeDeaths(reports: Map<string, WorkerReport>, alive: WorkerReport[], now: number): Promise<void> {
    const live = new Set(alive.map((r) => r.id));
    for (const r of reports.values()) {
      if (live.has(r.id)) {
        this.dead.delete(r.id);
        continue;
      }
      if (this.dead.has(r.id)) continue;
      this.dead.add(r.id);
      this.o.metrics?.deadWorkers.inc();
      this.o.log.warn({ worker: r.id, silent_ms: now - r.seen }, 'worker is dead; moving its models');
      await this.o
        .onDead?.(r)
        .catch((err: unknown) => this.o.log.warn({ err, worker: r.id }, "releasing a dead worker's entries failed"));
    }
  }
}

const sameModels = (a: AssignedModel[], b: AssignedModel[]) => JSON.stringify(a) === JSON.stringify(b);
const sameState = (a: ModelState, b: ModelState) =>
  JSON.stringify({ ...a, updated_at: 0 }) === JSON.stringify({ ...b, updated_at: 0 });
