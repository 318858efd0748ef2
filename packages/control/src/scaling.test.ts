// The autoscaling decision: needed replicas from backlog, arrivals and measured throughput;
// pools at zero rise with the first queued request; idle pools fall to one, then to zero.
import { describe, expect, it } from 'vitest';
import { modelPool, poolName, workerPool } from './pools.ts';
import { FIRST_LOAD_PATIENCE_MS, ScaleTracker, neededReplicas, poolDesired, type ModelSample } from './scaling.ts';

const settings = { targetDrainS: 30, idleS: 60 };
const sample = (over: Partial<ModelSample> = {}): ModelSample => ({
  model: 'tiny',
  pool: 'cpu',
  backlog: 0,
  added: 0,
  readyReplicas: 0,
  maxReplicas: 10,
  firstLoad: false,
  unplaced: false,
  specUpdatedAt: 1,
  ...over,
});

describe('neededReplicas', () => {
  it('serves the arrivals and drains the backlog within the target', () => {
    // 300 queued over 30 s is 10/s, plus 5/s arriving, at 4/s per replica: 15 / 4 → 4.
    expect(neededReplicas(sample({ backlog: 300 }), 5, 4, 30)).toBe(4);
    // Exactly enough needs no extra replica.
    expect(neededReplicas(sample({ backlog: 240 }), 0, 4, 30)).toBe(2);
  });

  it('is capped by the model replicas and zero for a model published with none', () => {
    expect(neededReplicas(sample({ backlog: 10_000, maxReplicas: 3 }), 0, 1, 30)).toBe(3);
    expect(neededReplicas(sample({ backlog: 10_000, maxReplicas: 0 }), 0, 1, 30)).toBe(0);
  });

  it('wants one replica for any work at all, and keeps those serving while throughput is unknown', () => {
    expect(neededReplicas(sample({ backlog: 1 }), 0, 1000, 30)).toBe(1);
    expect(neededReplicas(sample({ backlog: 1 }), 0, undefined, 30)).toBe(1);
    expect(neededReplicas(sample({ backlog: 50, readyReplicas: 2 }), 0, undefined, 30)).toBe(2);
  });

  it('wants none without work, except one for a model never served yet', () => {
    expect(neededReplicas(sample({ readyReplicas: 2 }), 0, 5, 30)).toBe(0);
    expect(neededReplicas(sample({ firstLoad: true }), 0, undefined, 30)).toBe(1);
  });
});

describe('poolDesired', () => {
  it('is the largest need while busy, one before the idle period ends, zero after', () => {
    expect(poolDesired([2, 5, 1], true, 0, 60, 1)).toBe(5);
    expect(poolDesired([0], true, 0, 60, 0)).toBe(1);
    expect(poolDesired([], false, 59, 60, 3)).toBe(1);
    expect(poolDesired([], false, 60, 60, 3)).toBe(0);
    // A pool at zero stays there: idle does not start a worker.
    expect(poolDesired([], false, 5, 60, 0)).toBe(0);
  });
});

describe('ScaleTracker', () => {
  it('raises a pool at zero to one on the first sample that sees a queued request', () => {
    const t = new ScaleTracker(settings, 0);
    const workers = new Map([['cpu', 0]]);
    expect(t.sample(1000, [sample()], workers).pools[0]!.desired_workers).toBe(0);
    const r = t.sample(2000, [sample({ backlog: 1, added: 1 })], workers);
    expect(r.pools[0]).toMatchObject({ pool: 'cpu', desired_workers: 1, backlog: 1, idle_for_s: null });
    expect(r.pools[0]!.models[0]!.arrival_rate).toBe(1);
  });

  it('measures per-replica throughput under load and scales out by it', () => {
    const t = new ScaleTracker({ targetDrainS: 10, idleS: 60 }, 0);
    const workers = new Map([['cpu', 1]]);
    t.sample(0, [sample({ backlog: 400, added: 400, readyReplicas: 1 })], workers);
    // 20 arrived and the backlog stayed at 400 in 2 s: one replica finished 20, 10/s.
    const r = t.sample(2000, [sample({ backlog: 400, added: 420, readyReplicas: 1 })], workers);
    const model = r.pools[0]!.models[0]!;
    expect(model.throughput_per_replica).toBe(10);
    expect(r.pools[0]!.throughput_per_worker).toBe(10);
    // 400 / 10 s to drain plus 10/s arriving, at 10/s per replica: 50 / 10 → 5.
    expect(model.arrival_rate).toBe(10);
    expect(model.desired_replicas).toBe(5);
    expect(r.pools[0]!.desired_workers).toBe(5);
  });

  it('does not take an unsaturated replica for its capacity', () => {
    const t = new ScaleTracker(settings, 0);
    const workers = new Map([['cpu', 2]]);
    t.sample(0, [sample({ backlog: 2, added: 100, readyReplicas: 2 })], workers);
    const r = t.sample(2000, [sample({ backlog: 1, added: 110, readyReplicas: 2 })], workers);
    expect(r.pools[0]!.models[0]!.throughput_per_replica).toBeNull();
  });

  it('falls to one when the work is gone and to zero after the idle period', () => {
    const t = new ScaleTracker({ targetDrainS: 30, idleS: 20 }, 0);
    const workers = new Map([['cpu', 3]]);
    t.sample(0, [sample({ readyReplicas: 3 })], workers);
    // Five arrive by 1 s and are done by 2 s; the last arrival is in the rate window at 2 s.
    t.sample(1000, [sample({ backlog: 5, added: 5, readyReplicas: 3 })], workers);
    const drained = t.sample(2000, [sample({ added: 5, readyReplicas: 3 })], workers);
    // Still arriving, throughput unmeasured: the three serving stay.
    expect(drained.pools[0]).toMatchObject({ desired_workers: 3, idle_for_s: null });
    // Out of the window at 12 s: idle since 2 s.
    const quiet = t.sample(12_000, [sample({ added: 5, readyReplicas: 3 })], workers);
    expect(quiet.pools[0]).toMatchObject({ desired_workers: 1, idle_for_s: 10, arrival_rate: 0 });
    const later = t.sample(21_000, [sample({ added: 5, readyReplicas: 3 })], workers);
    expect(later.pools[0]).toMatchObject({ desired_workers: 1, idle_for_s: 19 });
    const idle = t.sample(22_000, [sample({ added: 5, readyReplicas: 3 })], workers);
    expect(idle.pools[0]).toMatchObject({ desired_workers: 0, idle_for_s: 20 });
  });

  it('keeps one worker for a model never served until it has loaded once', () => {
    const t = new ScaleTracker({ targetDrainS: 30, idleS: 1 }, 0);
    const r = t.sample(60_000, [sample({ firstLoad: true })], new Map());
    expect(r.pools[0]).toMatchObject({ pool: 'cpu', desired_workers: 1, current_workers: 0 });
  });

  it('stops wanting a first load no worker of the pool can take, until the spec changes', () => {
    const t = new ScaleTracker({ targetDrainS: 30, idleS: 60 }, 0);
    const stuck = sample({ firstLoad: true, unplaced: true });
    // At zero it wants one; beside a live worker that cannot take it, only for the patience.
    expect(t.sample(0, [stuck], new Map([['cpu', 0]])).pools[0]!.desired_workers).toBe(1);
    expect(t.sample(1000, [stuck], new Map([['cpu', 1]])).pools[0]!.desired_workers).toBe(1);
    const later = 1000 + FIRST_LOAD_PATIENCE_MS;
    expect(t.sample(later, [stuck], new Map([['cpu', 1]])).pools[0]!.idle_for_s).not.toBeNull();
    // Back at zero it does not start a worker again for the same spec...
    expect(t.sample(later + 120_000, [stuck], new Map([['cpu', 0]])).pools[0]!.desired_workers).toBe(0);
    // ...but an updated spec tries again.
    const updated = { ...stuck, specUpdatedAt: 2 };
    expect(t.sample(later + 121_000, [updated], new Map([['cpu', 0]])).pools[0]!.desired_workers).toBe(1);
  });

  it('keeps wanting a first load while the model is placed and loading', () => {
    const t = new ScaleTracker({ targetDrainS: 30, idleS: 60 }, 0);
    const loading = sample({ firstLoad: true, unplaced: false });
    t.sample(0, [loading], new Map([['cpu', 1]]));
    const r = t.sample(2 * FIRST_LOAD_PATIENCE_MS, [loading], new Map([['cpu', 1]]));
    expect(r.pools[0]!.desired_workers).toBe(1);
  });

  it('lists pools that have only workers, and forgets unpublished models', () => {
    const t = new ScaleTracker(settings, 0);
    const r = t.sample(1000, [sample({ model: 'a', pool: 'gpu' })], new Map([['cpu', 1]]));
    expect(r.pools.map((p) => p.pool)).toEqual(['cpu', 'gpu']);
    expect(t.sample(2000, [], new Map()).pools).toEqual([]);
  });

  it('starts a stream count over when the stream was deleted and made again', () => {
    const t = new ScaleTracker(settings, 0);
    const w = new Map([['cpu', 1]]);
    t.sample(0, [sample({ added: 500 })], w);
    const r = t.sample(1000, [sample({ added: 3, backlog: 3 })], w);
    expect(r.pools[0]!.models[0]!.arrival_rate).toBe(0);
  });
});

describe('pool names', () => {
  it('are the kind, then the tags sorted by key, lowercase, in [a-z0-9-]', () => {
    expect(poolName('cpu', {})).toBe('cpu');
    expect(poolName('gpu', { zone: 'us-east1_b', team: 'ML' })).toBe('gpu-team-ml-zone-us-east1-b');
  });

  it('name a worker by its best device, or its label when it reports none', () => {
    const devices = [{ kind: 'cpu' as const }, { kind: 'gpu' as const }];
    expect(workerPool({ accelerator: 'cpu', devices, tags: {} })).toBe('gpu');
    expect(workerPool({ accelerator: 'cpu', devices: [{ kind: 'cpu' }], tags: { team: 'a' } })).toBe('cpu-team-a');
    expect(workerPool({ accelerator: 'tpu', tags: {} })).toBe('tpu');
  });

  it('name a model by its constraints: accelerator, else the GPU providers, else cpu; tags follow', () => {
    expect(modelPool({})).toBe('cpu');
    expect(modelPool({ runtime: 'xla' })).toBe('cpu');
    expect(modelPool({ accelerator: 'tpu', runtime: 'xla' })).toBe('tpu');
    expect(modelPool({}, 'cuda')).toBe('gpu');
    expect(modelPool({ team: 'ml' }, 'tensorrt')).toBe('gpu-team-ml');
  });
});
