// Assignment planning: a pure function from (published models, live workers, current
// assignments, what workers report) to the next assignments. The leader runs it on every
// reconcile; identical inputs give identical outputs, so nothing moves unless something
// changed.
//
// Rules, per model in name order:
// - Entries of the target version stay where they are while their worker lives and matches
//   the model's constraints; extras beyond `replicas` go (not-ready ones first).
// - Missing replicas go to matching workers with the memory for them, preferring a worker
//   that already holds the model (an in-place rollout), then one with the checkpoint in its
//   cache, then the most free memory.
// - Entries of other versions, and entries on drained workers, are availability-first: a
//   ready one stays until the target has `replicas` ready replicas elsewhere; the rest go.
import type { AssignedModel, HeldState } from './schemas.ts';

export interface PlanModel {
  name: string;
  replicas: number;
  /** Memory one replica takes on a worker. */
  memory: number;
  constraints: Record<string, string>;
  /** What to serve; undefined when there is nothing servable (entries are then kept). */
  target: AssignedModel | undefined;
}

export interface PlanWorker {
  id: string;
  accelerator: string;
  tags: Record<string, string>;
  memory: number;
  /** Cache keys of checkpoints on its disk. */
  cached: ReadonlySet<string>;
  /** State of each `<model>@<version>` it reports. */
  held: ReadonlyMap<string, HeldState>;
  /** Drained by an operator: gets nothing new; what it serves moves, availability-first. */
  drained?: boolean;
  /** Executors it runs (`onnx`, `xla`). @default ['onnx'] */
  runtimes?: readonly string[];
}

export interface PlanInput {
  models: PlanModel[];
  /** Live workers only. */
  workers: PlanWorker[];
  current: ReadonlyMap<string, readonly AssignedModel[]>;
  cacheKey: (m: AssignedModel) => string;
}

export interface ModelPlan {
  placed: number;
  ready: number;
  /** Ready replicas of versions other than the target, still serving. */
  oldServing: number;
  /** Why replicas are missing, when they are. */
  reason?: string;
}

export interface PlanOutput {
  assignments: Map<string, AssignedModel[]>;
  models: Map<string, ModelPlan>;
}

const held = (w: PlanWorker, m: AssignedModel) => w.held.get(`${m.name}@${m.version}`);

export function matches(w: PlanWorker, constraints: Record<string, string>): boolean {
  return Object.entries(constraints).every(([k, v]) => (k === 'accelerator' ? w.accelerator : w.tags[k]) === v);
}

/** The executor a version needs, by its model file: an XLA export (model.jax) runs only on the xla runtime. */
export const runtimeOf = (m: AssignedModel): string => (m.checkpoint.uri.endsWith('model.jax') ? 'xla' : 'onnx');
const hasRuntime = (w: PlanWorker, runtime: string) => (w.runtimes ?? ['onnx']).includes(runtime);

export function plan(input: PlanInput): PlanOutput {
  const workers = [...input.workers].sort((a, b) => a.id.localeCompare(b.id));
  const byId = new Map(workers.map((w) => [w.id, w]));
  const out = new Map<string, AssignedModel[]>(workers.map((w) => [w.id, []]));
  const used = new Map<string, number>(workers.map((w) => [w.id, 0]));
  const place = (w: PlanWorker, m: AssignedModel) => {
    out.get(w.id)!.push(m);
    used.set(w.id, used.get(w.id)! + m.memory_bytes);
  };
  const free = (w: PlanWorker) => w.memory - used.get(w.id)!;

  const current = new Map<string, { worker: PlanWorker; entry: AssignedModel }[]>();
  for (const [id, entries] of input.current) {
    const worker = byId.get(id);
    if (!worker) continue; // dead or gone: its entries move
    for (const entry of entries) {
      const list = current.get(entry.name) ?? [];
      list.push({ worker, entry });
      current.set(entry.name, list);
    }
  }

  const models = [...input.models].sort((a, b) => a.name.localeCompare(b.name));
  const result = new Map<string, ModelPlan>();
  // Keep what stays first, for every model, so that additions see the real free memory.
  const additions: { model: PlanModel; have: PlanWorker[] }[] = [];
  for (const model of models) {
    const entries = (current.get(model.name) ?? []).filter(({ worker }) => matches(worker, model.constraints));
    const target = model.target;
    if (!target) {
      for (const { worker, entry } of entries) place(worker, entry);
      const ready = entries.filter(({ worker, entry }) => held(worker, entry) === 'ready').length;
      result.set(model.name, { placed: entries.length, ready, oldServing: ready });
      continue;
    }
    const isTarget = (e: AssignedModel) =>
      e.version === target.version && e.checkpoint.generation === target.checkpoint.generation;
    const targetEntries = entries
      .filter(({ worker, entry }) => isTarget(entry) && !worker.drained)
      // Keep ready ones over loading ones when trimming.
      .sort((a, b) => Number(held(b.worker, b.entry) === 'ready') - Number(held(a.worker, a.entry) === 'ready'));
    const kept = targetEntries.slice(0, model.replicas);
    for (const { worker } of kept) place(worker, { ...target });
    const ready = kept.filter(({ worker, entry }) => held(worker, entry) === 'ready').length;
    let oldServing = 0;
    if (ready < model.replicas) {
      for (const { worker, entry } of entries) {
        if ((isTarget(entry) && !worker.drained) || held(worker, entry) !== 'ready') continue;
        place(worker, entry);
        oldServing++;
      }
    }
    result.set(model.name, { placed: kept.length, ready, oldServing });
    if (kept.length < model.replicas) additions.push({ model, have: kept.map((k) => k.worker) });
  }

  for (const { model, have } of additions) {
    const target = model.target!;
    const plan = result.get(model.name)!;
    const holdsModel = (w: PlanWorker) => out.get(w.id)!.some((e) => e.name === model.name);
    const key = input.cacheKey(target);
    const runtime = runtimeOf(target);
    const eligible = workers.filter(
      (w) => !w.drained && matches(w, model.constraints) && hasRuntime(w, runtime) && !have.includes(w),
    );
    const fits = eligible.filter((w) => free(w) >= model.memory);
    fits.sort(
      (a, b) =>
        Number(holdsModel(b)) - Number(holdsModel(a)) ||
        Number(b.cached.has(key)) - Number(a.cached.has(key)) ||
        free(b) - free(a) ||
        a.id.localeCompare(b.id),
    );
    for (const w of fits.slice(0, model.replicas - plan.placed)) {
      place(w, { ...target });
      plan.placed++;
    }
    if (plan.placed < model.replicas) plan.reason = unplaceable(model, workers, eligible, plan.placed, free, runtime);
  }
  return { assignments: out, models: result };
}

function unplaceable(
  model: PlanModel,
  workers: PlanWorker[],
  eligible: PlanWorker[],
  placed: number,
  free: (w: PlanWorker) => number,
  runtime: string,
): string {
  const missing = `${model.replicas - placed} of ${model.replicas} replicas not placed`;
  if (workers.length === 0) return `${missing}: no live workers`;
  const wanted = Object.entries(model.constraints)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  if (!workers.some((w) => matches(w, model.constraints))) return `${missing}: no live worker matches ${wanted}`;
  if (!workers.some((w) => matches(w, model.constraints) && hasRuntime(w, runtime)))
    return `${missing}: no worker has the ${runtime} runtime`;
  if (eligible.length === 0) return `${missing}: every matching worker already holds a replica`;
  const most = Math.max(...eligible.map(free));
  return `${missing}: a replica needs ${fmtBytes(model.memory)}; the most free memory on a matching worker is ${fmtBytes(Math.max(0, most))}`;
}

export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
