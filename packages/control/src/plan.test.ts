import { describe, expect, it } from 'vitest';
import { plan, type PlanInput, type PlanModel, type PlanWorker } from './plan.ts';
import type { AssignedModel, HeldState } from './schemas.ts';

const MiB = 1024 * 1024;

const entry = (name: string, version: string, memory = 100 * MiB): AssignedModel => ({
  name,
  version,
  base_uri: `/repo/${name}`,
  memory_bytes: memory,
  config: {},
  checkpoint: { version, uri: `/repo/${name}/${version}/model.onnx`, size: memory / 2, generation: `g${version}` },
});
const model = (name: string, version: string, replicas = 1, extra: Partial<PlanModel> = {}): PlanModel => ({
  name,
  replicas,
  memory: 100 * MiB,
  constraints: {},
  target: entry(name, version),
  ...extra,
});
const worker = (id: string, extra: Partial<PlanWorker> = {}): PlanWorker => ({
  id,
  accelerator: 'cpu',
  tags: {},
  memory: 1024 * MiB,
  cached: new Set(),
  held: new Map(),
  ...extra,
});
const holding = (id: string, held: Record<string, HeldState>, extra: Partial<PlanWorker> = {}) =>
  worker(id, { held: new Map(Object.entries(held)), ...extra });
const run = (input: Partial<PlanInput>) =>
  plan({
    models: [],
    workers: [],
    current: new Map(),
    cacheKey: (m) => `${m.checkpoint.uri}#${m.checkpoint.generation}`,
    ...input,
  });
const names = (out: ReturnType<typeof plan>, id: string) =>
  out.assignments
    .get(id)!
    .map((e) => `${e.name}@${e.version}`)
    .sort();

describe('plan', () => {
  it('places an XLA export (model.jax) only on a worker with the xla runtime', () => {
    const jax = entry('x', '1');
    jax.checkpoint.uri = '/repo/x/1/model.jax';
    const workers = [worker('w1'), worker('w2', { runtimes: ['onnx', 'xla'] }), worker('w3', { runtimes: ['onnx'] })];
    const out = run({ models: [model('x', '1', 1, { target: jax })], workers });
    expect(names(out, 'w2')).toEqual(['x@1']);
    expect([...names(out, 'w1'), ...names(out, 'w3')]).toEqual([]);
  });

  it('says no worker has the xla runtime when none has, and still places ONNX models on them', () => {
    const jax = entry('x', '1');
    jax.checkpoint.uri = '/repo/x/1/model.jax';
    const out = run({
      models: [model('a', '1'), model('x', '1', 1, { target: jax })],
      workers: [worker('w1'), worker('w2', { runtimes: ['onnx'] })],
    });
    expect(out.models.get('x')).toMatchObject({
      placed: 0,
      reason: '1 of 1 replicas not placed: no worker has the xla runtime',
    });
    expect(out.models.get('a')).toMatchObject({ placed: 1 });
  });

  it('places the requested replicas, never more, on distinct workers', () => {
    const out = run({ models: [model('a', '1', 2)], workers: [worker('w1'), worker('w2'), worker('w3')] });
    const placed = ['w1', 'w2', 'w3'].flatMap((id) => names(out, id));
    expect(placed).toEqual(['a@1', 'a@1']);
    expect(out.models.get('a')).toMatchObject({ placed: 2, ready: 0 });
  });

  it('does not move anything when nothing changed', () => {
    const workers = [holding('w1', { 'a@1': 'ready' }), worker('w2', { memory: 4096 * MiB })];
    const current = new Map([['w1', [entry('a', '1')]]]);
    const out = run({ models: [model('a', '1')], workers, current });
    expect(names(out, 'w1')).toEqual(['a@1']);
    expect(names(out, 'w2')).toEqual([]);
  });

  it('moves the replicas of a dead worker to a live one', () => {
    const current = new Map([['dead', [entry('a', '1')]]]);
    const out = run({ models: [model('a', '1')], workers: [worker('w2')], current });
    expect(names(out, 'w2')).toEqual(['a@1']);
  });

  it('scales down by dropping loading replicas before ready ones', () => {
    const workers = [holding('w1', { 'a@1': 'loading' }), holding('w2', { 'a@1': 'ready' })];
    const current = new Map([
      ['w1', [entry('a', '1')]],
      ['w2', [entry('a', '1')]],
    ]);
    const out = run({ models: [model('a', '1', 1)], workers, current });
    expect(names(out, 'w1')).toEqual([]);
    expect(names(out, 'w2')).toEqual(['a@1']);
  });

  it('prefers a worker with the checkpoint cached, then the most free memory', () => {
    const cached = worker('w1', { cached: new Set(['/repo/a/1/model.onnx#g1']), memory: 512 * MiB });
    const roomy = worker('w2', { memory: 8192 * MiB });
    expect(names(run({ models: [model('a', '1')], workers: [cached, roomy] }), 'w1')).toEqual(['a@1']);
    expect(
      names(run({ models: [model('a', '1')], workers: [worker('w1', { memory: 512 * MiB }), roomy] }), 'w2'),
    ).toEqual(['a@1']);
  });

  it('honours constraints and says why a replica cannot be placed', () => {
    const gpu = model('a', '1', 1, { constraints: { accelerator: 'gpu' } });
    const out = run({ models: [gpu], workers: [worker('w1')] });
    expect(names(out, 'w1')).toEqual([]);
    expect(out.models.get('a')!.reason).toBe('1 of 1 replicas not placed: no live worker matches accelerator=gpu');
    const tagged = run({
      models: [model('a', '1', 1, { constraints: { zone: 'b' } })],
      workers: [worker('w1', { tags: { zone: 'b' } })],
    });
    expect(names(tagged, 'w1')).toEqual(['a@1']);
  });

  it('counts memory across models and reports the shortfall', () => {
    const big = model('b', '1', 1, { memory: 950 * MiB, target: entry('b', '1', 950 * MiB) });
    const out = run({ models: [model('a', '1'), big], workers: [worker('w1')] });
    expect(names(out, 'w1')).toEqual(['a@1']);
    expect(out.models.get('b')!.reason).toBe(
      '1 of 1 replicas not placed: a replica needs 950.0 MiB; the most free memory on a matching worker is 924.0 MiB',
    );
    expect(out.models.get('b')!.placed).toBe(0);
  });

  it('rolls out availability-first: the old version serves until the new one is ready', () => {
    const current = new Map([['w1', [entry('a', '1')]]]);
    // New version 2 appears: it is loaded next to version 1, which keeps serving.
    const step1 = run({ models: [model('a', '2')], workers: [holding('w1', { 'a@1': 'ready' })], current });
    expect(names(step1, 'w1')).toEqual(['a@1', 'a@2']);
    expect(step1.models.get('a')).toMatchObject({ ready: 0, oldServing: 1 });
    // Still loading: nothing changes.
    const loading = holding('w1', { 'a@1': 'ready', 'a@2': 'loading' });
    const step2 = run({ models: [model('a', '2')], workers: [loading], current: step1.assignments });
    expect(names(step2, 'w1')).toEqual(['a@1', 'a@2']);
    // Version 2 ready: version 1 goes.
    const ready = holding('w1', { 'a@1': 'ready', 'a@2': 'ready' });
    const step3 = run({ models: [model('a', '2')], workers: [ready], current: step2.assignments });
    expect(names(step3, 'w1')).toEqual(['a@2']);
    expect(step3.models.get('a')).toMatchObject({ ready: 1, oldServing: 0 });
  });

  it('drops assignments of unpublished models and keeps entries when there is nothing to serve', () => {
    const current = new Map([['w1', [entry('gone', '1'), entry('a', '1')]]]);
    const out = run({
      models: [model('a', '1', 1, { target: undefined })],
      workers: [holding('w1', { 'a@1': 'ready' })],
      current,
    });
    expect(names(out, 'w1')).toEqual(['a@1']);
  });

  it('carries an updated config of the target to workers that hold it', () => {
    const current = new Map([['w1', [entry('a', '1')]]]);
    const target = { ...entry('a', '1'), config: { max_batch_size: 4 } };
    const out = run({
      models: [model('a', '1', 1, { target })],
      workers: [holding('w1', { 'a@1': 'ready' })],
      current,
    });
    expect(out.assignments.get('w1')![0]!.config).toEqual({ max_batch_size: 4 });
  });

  it('moves the replicas off a drained worker, keeping them until the replacement is ready', () => {
    const current = new Map([['w1', [entry('a', '1')]]]);
    const drained = holding('w1', { 'a@1': 'ready' }, { drained: true });
    const step1 = run({ models: [model('a', '1')], workers: [drained, worker('w2')], current });
    expect(names(step1, 'w1')).toEqual(['a@1']);
    expect(names(step1, 'w2')).toEqual(['a@1']);
    const step2 = run({
      models: [model('a', '1')],
      workers: [drained, holding('w2', { 'a@1': 'ready' })],
      current: step1.assignments,
    });
    expect(names(step2, 'w1')).toEqual([]);
    expect(names(step2, 'w2')).toEqual(['a@1']);
  });
});
