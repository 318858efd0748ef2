// The pure decisions of a reconcile pass, apart from Redis and listing: which workers the
// planner sees, which version a model should serve, and what its state says once planned.
// reconcile.ts reads the inputs and writes the outcome.
import type { ModelPlan, ModelSpec, ModelState, PlanWorker, Runtime, WorkerReport } from '@alto/control';
import type { CheckpointVersion } from '@alto/repository';
import type { Listing } from './versions.ts';

/** Workers heard from within `timeoutMs` of `now`. */
export const aliveWorkers = (reports: Iterable<WorkerReport>, now: number, timeoutMs: number): WorkerReport[] =>
  [...reports].filter((r) => now - r.seen <= timeoutMs);

/** The planner's view of live workers: what each can take, holds and has cached. */
export const planWorkers = (alive: readonly WorkerReport[], drained: ReadonlySet<string>): PlanWorker[] =>
  alive.map((r) => ({
    drained: drained.has(r.id),
    id: r.id,
    accelerator: r.accelerator,
    tags: r.tags,
    memory: r.memory_bytes,
    cached: new Set(r.cached),
    held: new Map(r.models.map((m) => [`${m.name}@${m.version}`, m.state])),
    ...(r.devices ? { devices: r.devices } : {}),
    ...(r.execution_provider ? { executionProvider: r.execution_provider } : {}),
    ...(r.runtimes ? { runtimes: r.runtimes } : {}),
  }));

/** The executor a listed version needs, by its model file's name: model.jax is an XLA export. */
export const runtimeOf = (v: CheckpointVersion): Runtime => (/(^|\/)model\.jax$/.test(v.uri) ? 'xla' : 'onnx');

/**
 * The constraints the planner places `spec` by once `chosen` is its target: the spec's own,
 * with `runtime=xla` for an XLA export; or why none can hold, when the spec's `runtime`
 * constraint names the other executor.
 */
export function placementConstraints(
  spec: ModelSpec,
  chosen: CheckpointVersion,
): { constraints: Record<string, string>; runtime: Runtime } | { error: string } {
  const runtime = runtimeOf(chosen);
  const asked = spec.constraints.runtime;
  if (asked !== undefined && asked !== runtime) {
    const file = chosen.uri.slice(chosen.uri.lastIndexOf('/') + 1);
    return { error: `constraint runtime=${asked}, but version ${chosen.version} is ${file}, which runs on ${runtime}` };
  }
  return { constraints: runtime === 'xla' ? { ...spec.constraints, runtime } : spec.constraints, runtime };
}

/** Key of a load failure: a version and the generation of its bytes (a rewrite is retried). */
export const failKey = (version: string, generation: string) => `${version}:${generation}`;

export type VersionChoice =
  | { chosen: CheckpointVersion; /** Set when a newer version than the chosen one failed. */ error?: string }
  | { chosen: undefined; state: 'failed' | 'pending'; reason: string; error?: string };

/**
 * The version `spec` should serve: its pinned one, or else the newest complete one that has
 * not failed to load; when there is none, why, as the model's state says it.
 */
export function chooseVersion(
  spec: ModelSpec,
  listing: Listing,
  failed: Readonly<Record<string, string>>,
): VersionChoice {
  const usable = listing.versions.filter((v) => !failed[failKey(v.version, v.generation)]);
  const chosen = spec.version === null ? usable.at(-1) : usable.find((v) => v.version === spec.version);
  if (!chosen) {
    const lastFailure = Object.values(failed).at(-1);
    const why = (state: 'failed' | 'pending', reason: string): VersionChoice => ({
      chosen: undefined,
      state,
      reason,
      ...(lastFailure ? { error: lastFailure } : {}),
    });
    const versions = listing.versions.map((v) => v.version);
    if (spec.version !== null && versions.includes(spec.version))
      return why('failed', `pinned version ${spec.version} failed to load`);
    if (spec.version !== null)
      return why(
        'failed',
        `pinned version ${spec.version} is not among the complete versions (${versions.join(', ') || 'none'})`,
      );
    if (versions.length > 0) return why('failed', 'every complete version failed to load');
    return why(
      'pending',
      listing.error
        ? `cannot list ${spec.uri}`
        : `no complete version under ${spec.uri} (expected <version>/model.onnx)`,
    );
  }
  const newest = listing.versions.at(-1)!;
  const newestFailure = newest !== chosen ? failed[failKey(newest.version, newest.generation)] : undefined;
  return newestFailure ? { chosen, error: `version ${newest.version} failed to load: ${newestFailure}` } : { chosen };
}

/**
 * Completes a model's state with what the plan says about its replicas: a still-pending
 * state becomes available, loading, rolling out or unplaceable. Changes `state` in place.
 */
export function finishState(state: ModelState, spec: ModelSpec, p: ModelPlan): void {
  state.ready_replicas = p.ready + p.oldServing;
  if (state.state !== 'pending' || state.reason !== undefined) return;
  if (spec.replicas === 0) state.reason = '0 replicas requested';
  else if (p.reason) Object.assign(state, { state: 'unplaceable', reason: p.reason });
  else if (p.oldServing > 0)
    Object.assign(state, {
      state: 'rolling_out',
      reason: `${p.ready}/${spec.replicas} replicas of version ${state.target_version} ready`,
    });
  else if (p.ready >= spec.replicas) state.state = 'available';
  else Object.assign(state, { state: 'loading', reason: `${p.ready}/${spec.replicas} replicas ready` });
}
