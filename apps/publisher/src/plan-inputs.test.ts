// The reconcile pass's pure decisions: which workers the planner sees, which version a model
// serves (pinned, newest, or past failures), and the state a plan leaves a model in.
import { ModelSpecSchema, type ModelPlan, type ModelState, type WorkerReport } from '@alto/control';
import type { CheckpointVersion } from '@alto/repository';
import { describe, expect, it } from 'vitest';
import {
  aliveWorkers,
  chooseVersion,
  failKey,
  finishState,
  placementConstraints,
  planWorkers,
  runtimeOf,
} from './plan-inputs.ts';
import type { Listing } from './versions.ts';

const spec = (over: Record<string, unknown> = {}) =>
  ModelSpecSchema.parse({ name: 'm', uri: '/models/m', created_at: 1, updated_at: 1, ...over });
const v = (version: string, generation = 'g1'): CheckpointVersion => ({
  version,
  uri: `/models/m/${version}/model.onnx`,
  size: 10,
  generation,
});
const listing = (versions: CheckpointVersion[], error?: string): Listing => ({
  at: 0,
  specAt: 0,
  versions,
  ...(error ? { error } : {}),
});

const report = (id: string, seen: number, over: Partial<WorkerReport> = {}): WorkerReport => ({
  id,
  host: 'h',
  accelerator: 'cpu',
  memory_bytes: 1 << 30,
  tags: { zone: 'a' },
  state: 'running',
  inflight: 0,
  started_at: 0,
  seen,
  cached: ['k1'],
  models: [],
  ...over,
});

describe('planner inputs', () => {
  it('counts a worker alive up to the timeout and dead one millisecond after', () => {
    const alive = aliveWorkers([report('a', 1000), report('b', 999), report('c', 5000)], 3000, 2000);
    expect(alive.map((r) => r.id)).toEqual(['a', 'c']);
  });

  it("gives the planner each worker's memory, tags, cache, held versions and whether it is drained", () => {
    const [w, x] = planWorkers(
      [
        report('w', 0, {
          models: [
            { name: 'm', version: '2', uri: 'u', state: 'ready' },
            { name: 'n', version: '1', uri: 'u', state: 'loading' },
          ],
        }),
        report('x', 0),
      ],
      new Set(['x']),
    );
    expect(w).toEqual({
      id: 'w',
      accelerator: 'cpu',
      tags: { zone: 'a' },
      memory: 1 << 30,
      drained: false,
      cached: new Set(['k1']),
      held: new Map([
        ['m@2', 'ready'],
        ['n@1', 'loading'],
      ]),
    });
    expect(x!.drained).toBe(true);
  });

  it("gives the planner each worker's devices and default execution provider, when it reports them", () => {
    const devices = [{ kind: 'gpu' as const, model: 'NVIDIA H200', count: 1, memory_bytes_per_device: 150e9 }];
    const [w, old] = planWorkers(
      [report('w', 0, { devices, execution_provider: 'cuda' }), report('old', 0)],
      new Set(),
    );
    expect(w).toMatchObject({ devices, executionProvider: 'cuda' });
    expect(old).not.toHaveProperty('devices');
  });
});

describe('runtime of a version', () => {
  const jax: CheckpointVersion = { ...v('2'), uri: 'gs://b/m/2/model.jax' };

  it('is xla for a model.jax export and onnx for model.onnx, by the listed file name', () => {
    expect(runtimeOf(jax)).toBe('xla');
    expect(runtimeOf(v('1'))).toBe('onnx');
  });

  it('adds runtime=xla to the constraints of an XLA export, and nothing for ONNX', () => {
    expect(placementConstraints(spec({ constraints: { zone: 'b' } }), jax)).toEqual({
      constraints: { zone: 'b', runtime: 'xla' },
      runtime: 'xla',
    });
    expect(placementConstraints(spec(), v('1'))).toEqual({ constraints: {}, runtime: 'onnx' });
  });

  it('refuses a runtime constraint that names the other executor', () => {
    expect(placementConstraints(spec({ constraints: { runtime: 'onnx' } }), jax)).toEqual({
      error: 'constraint runtime=onnx, but version 2 is model.jax, which runs on xla',
    });
  });
});

describe('version choice', () => {
  it('serves the newest complete version when none is pinned', () => {
    expect(chooseVersion(spec(), listing([v('1'), v('2'), v('10')]), {})).toEqual({ chosen: v('10') });
  });

  it('serves the pinned version, even when newer ones exist', () => {
    expect(chooseVersion(spec({ version: '1' }), listing([v('1'), v('2')]), {})).toEqual({ chosen: v('1') });
  });

  it('falls back past a newest version that failed to load, and says so', () => {
    const failed = { [failKey('2', 'g1')]: 'bad onnx' };
    expect(chooseVersion(spec(), listing([v('1'), v('2')]), failed)).toEqual({
      chosen: v('1'),
      error: 'version 2 failed to load: bad onnx',
    });
  });

  it('retries a failed version whose bytes were rewritten (a new generation)', () => {
    const failed = { [failKey('2', 'g1')]: 'bad onnx' };
    expect(chooseVersion(spec(), listing([v('1'), v('2', 'g2')]), failed)).toEqual({ chosen: v('2', 'g2') });
  });

  it('fails a pinned version that failed to load, with the last error', () => {
    const failed = { [failKey('1', 'g1')]: 'bad onnx' };
    expect(chooseVersion(spec({ version: '1' }), listing([v('1'), v('2')]), failed)).toEqual({
      chosen: undefined,
      state: 'failed',
      reason: 'pinned version 1 failed to load',
      error: 'bad onnx',
    });
  });

  it('fails a pinned version that is not in the store, naming the ones that are', () => {
    expect(chooseVersion(spec({ version: '3' }), listing([v('1'), v('2')]), {})).toMatchObject({
      state: 'failed',
      reason: 'pinned version 3 is not among the complete versions (1, 2)',
    });
    expect(chooseVersion(spec({ version: '3' }), listing([]), {})).toMatchObject({
      reason: 'pinned version 3 is not among the complete versions (none)',
    });
  });

  it('fails when every version failed to load', () => {
    const failed = { [failKey('1', 'g1')]: 'first', [failKey('2', 'g1')]: 'second' };
    expect(chooseVersion(spec(), listing([v('1'), v('2')]), failed)).toEqual({
      chosen: undefined,
      state: 'failed',
      reason: 'every complete version failed to load',
      error: 'second',
    });
  });

  it('stays pending while the store holds no version, or cannot be listed', () => {
    expect(chooseVersion(spec(), listing([]), {})).toEqual({
      chosen: undefined,
      state: 'pending',
      reason: 'no complete version under /models/m (expected <version>/model.onnx)',
    });
    expect(chooseVersion(spec(), listing([], 'ENOENT'), {})).toEqual({
      chosen: undefined,
      state: 'pending',
      reason: 'cannot list /models/m',
    });
  });
});

describe('model state after planning', () => {
  const pending = (): ModelState => ({
    state: 'pending',
    versions: ['1'],
    ready_replicas: 0,
    failed: {},
    updated_at: 0,
    target_version: '1',
  });
  const plan = (p: Partial<ModelPlan>): ModelPlan => ({ placed: 0, ready: 0, oldServing: 0, ...p });
  const finished = (replicas: number, p: Partial<ModelPlan>, state = pending()) => {
    finishState(state, spec({ replicas }), plan(p));
    return state;
  };

  it('is available once every requested replica is ready', () => {
    expect(finished(2, { placed: 2, ready: 2 })).toMatchObject({ state: 'available', ready_replicas: 2 });
    expect(finished(2, { placed: 2, ready: 2 }).reason).toBeUndefined();
  });

  it('is loading while some replicas are not ready', () => {
    expect(finished(2, { placed: 2, ready: 1 })).toMatchObject({
      state: 'loading',
      reason: '1/2 replicas ready',
      ready_replicas: 1,
    });
  });

  it('is rolling out while replicas of an older version still serve, counting them as ready', () => {
    expect(finished(2, { placed: 2, ready: 1, oldServing: 1 })).toMatchObject({
      state: 'rolling_out',
      reason: '1/2 replicas of version 1 ready',
      ready_replicas: 2,
    });
  });

  it("is unplaceable with the planner's reason", () => {
    expect(finished(1, { reason: 'no worker has 2.0 GiB free' })).toMatchObject({
      state: 'unplaceable',
      reason: 'no worker has 2.0 GiB free',
    });
  });

  it('stays pending with a reason when no replica is requested', () => {
    expect(finished(0, {})).toMatchObject({ state: 'pending', reason: '0 replicas requested' });
  });

  it('keeps a state the version choice already decided, updating only the replica count', () => {
    const failed: ModelState = { ...pending(), state: 'failed', reason: 'every complete version failed to load' };
    expect(finished(1, { ready: 0, oldServing: 1 }, failed)).toMatchObject({
      state: 'failed',
      reason: 'every complete version failed to load',
      ready_replicas: 1,
    });
  });
});
