import { describe, expect, it } from 'vitest';
import { plan, type PlanInput, type PlanModel, type PlanWorker } from './plan.ts';
import type { AssignedModel, Device, HeldState } from './schemas.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

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

describe('plan by devices', () => {
  const cpu: Device = { kind: 'cpu', model: 'AMD EPYC 7B13', count: 1, memory_bytes_per_device: 64 * GiB, cores: 16 };
  const h200: Device = { kind: 'gpu', model: 'NVIDIA H200', count: 1, memory_bytes_per_device: 140 * GiB, ids: [0] };
  const l4: Device = { kind: 'gpu', model: 'NVIDIA L4', count: 2, memory_bytes_per_device: 22 * GiB, ids: [0, 1] };
  const v5e: Device = { kind: 'tpu', model: 'TPU v5 lite', count: 4, memory_bytes_per_device: 16 * GiB };
  const sized = (name: string, memory: number, extra: Partial<PlanModel> = {}) =>
    model(name, '1', 1, { memory, target: entry(name, '1', memory), ...extra });
  const gpuModel = (name: string, memory: number) => sized(name, memory, { constraints: { accelerator: 'gpu' } });
  const host = (id: string, memory: number, devices: Device[], extra: Partial<PlanWorker> = {}) =>
    worker(id, { memory, devices, ...extra });

  it('checks a GPU model against GPU memory, not the host budget', () => {
    // 30 GiB fits the H200 but not the 8 GiB host budget; the L4 worker has 48 GiB of host budget but 22 GiB GPUs.
    const workers = [host('a-l4', 48 * GiB, [cpu, l4]), host('b-h200', 8 * GiB, [cpu, h200])];
    const out = run({ models: [gpuModel('llm', 30 * GiB)], workers });
    expect(names(out, 'b-h200')).toEqual(['llm@1']);
    expect(names(out, 'a-l4')).toEqual([]);
  });

  it('checks a CPU model against the host budget, not GPU memory', () => {
    const workers = [host('w1', 1 * GiB, [cpu, h200])];
    const out = run({ models: [sized('big', 2 * GiB)], workers });
    expect(names(out, 'w1')).toEqual([]);
    expect(out.models.get('big')!.reason).toBe(
      "1 of 1 replicas not placed: a replica needs 2.0 GiB; no matching worker's CPU memory budget is that large: " +
        'the largest, on w1, is 1.0 GiB (1.0 GiB short)',
    );
  });

  it('names the largest device and the shortfall when a model is too large for every device', () => {
    const workers = [host('w1', 512 * GiB, [cpu, l4]), host('w2', 512 * GiB, [cpu, h200])];
    const out = run({ models: [gpuModel('huge', 200 * GiB)], workers });
    expect(out.models.get('huge')).toMatchObject({ placed: 0 });
    expect(out.models.get('huge')!.reason).toBe(
      "1 of 1 replicas not placed: a replica needs 200.0 GiB; no matching worker's GPU is that large: " +
        'the largest, NVIDIA H200 on w2, has 140.0 GiB (60.0 GiB short)',
    );
  });

  it('adds up replicas on one device and says how much GPU memory is free', () => {
    const workers = [host('w1', 512 * GiB, [cpu, h200])];
    const out = run({ models: [gpuModel('a', 100 * GiB), gpuModel('b', 50 * GiB)], workers });
    expect(names(out, 'w1')).toEqual(['a@1']);
    expect(out.models.get('b')!.reason).toBe(
      '1 of 1 replicas not placed: a replica needs 50.0 GiB; the most free GPU memory on a matching worker is 40.0 GiB',
    );
  });

  it('keeps the GPU and host budgets apart', () => {
    const workers = [host('w1', 10 * GiB, [cpu, h200])];
    const out = run({ models: [gpuModel('g', 130 * GiB), sized('c', 9 * GiB)], workers });
    expect(names(out, 'w1')).toEqual(['c@1', 'g@1']);
    // Each assignment says which budget it was placed on, for the worker to report.
    expect(out.assignments.get('w1')!.map((e) => `${e.name}:${e.device}`)).toEqual(['c:cpu', 'g:gpu']);
  });

  it('matches accelerator=gpu|tpu|cpu by the devices a worker reports, whatever its label', () => {
    const workers = [host('w-cpu', 8 * GiB, [cpu]), host('w-tpu', 8 * GiB, [cpu, v5e], { accelerator: 'cpu' })];
    const out = run({ models: [sized('t', GiB, { constraints: { accelerator: 'tpu' } })], workers });
    expect(names(out, 'w-tpu')).toEqual(['t@1']);
    const none = run({ models: [gpuModel('g', GiB)], workers });
    expect(none.models.get('g')!.reason).toBe('1 of 1 replicas not placed: no live worker matches accelerator=gpu');
    // Every worker has a CPU.
    const both = run({ models: [sized('c', GiB, { replicas: 2, constraints: { accelerator: 'cpu' } })], workers });
    expect([...names(both, 'w-cpu'), ...names(both, 'w-tpu')]).toEqual(['c@1', 'c@1']);
  });

  it('runs an XLA model on the first accelerator JAX would take: TPU, then GPU, then CPU', () => {
    // 10 GiB fits a v5e chip (16 GiB) and the H200, but not the 4 GiB host budget.
    const xla = (name: string) => sized(name, 10 * GiB, { constraints: { runtime: 'xla' } });
    const withXla = { runtimes: ['onnx', 'xla'] };
    const tpu = run({ models: [xla('x')], workers: [host('w1', 4 * GiB, [cpu, v5e, h200], withXla)] });
    expect(names(tpu, 'w1')).toEqual(['x@1']);
    const onCpu = run({ models: [xla('x')], workers: [host('w1', 4 * GiB, [cpu], withXla)] });
    expect(onCpu.models.get('x')!.reason).toMatch(/CPU memory budget is that large: the largest, on w1, is 4.0 GiB/);
  });

  it('places an XLA model only on a worker with the xla runtime, and says so', () => {
    const xla = sized('x', GiB, { constraints: { runtime: 'xla' } });
    const out = run({ models: [xla], workers: [host('w1', 8 * GiB, [cpu])] });
    expect(out.models.get('x')!.reason).toBe('1 of 1 replicas not placed: no live worker has the xla runtime');
    const onnx = run({
      models: [sized('o', GiB, { constraints: { runtime: 'onnx' } })],
      workers: [host('w1', 8 * GiB, [cpu])],
    });
    expect(names(onnx, 'w1')).toEqual(['o@1']);
  });

  it('runs a CUDA model on the GPU: not on a worker without one', () => {
    const cuda = sized('c', GiB, { target: { ...entry('c', '1', GiB), execution_provider: 'cuda' } });
    const out = run({ models: [cuda], workers: [host('w1', 8 * GiB, [cpu])] });
    expect(out.models.get('c')!.reason).toBe(
      '1 of 1 replicas not placed: no matching worker has a gpu for execution_provider cuda',
    );
    // The worker's own provider counts for a model that names none.
    const big = sized('b', 100 * GiB);
    const byWorker = run({ models: [big], workers: [host('w1', 8 * GiB, [cpu, h200], { executionProvider: 'cuda' })] });
    expect(names(byWorker, 'w1')).toEqual(['b@1']);
  });

  it('gives a worker that reports no devices one budget for every kind, as before', () => {
    const old = worker('old', { memory: 4 * GiB, accelerator: 'gpu' });
    const out = run({ models: [gpuModel('a', 3 * GiB), sized('b', 2 * GiB)], workers: [old] });
    expect(names(out, 'old')).toEqual(['a@1']);
    expect(out.models.get('b')!.reason).toBe(
      '1 of 1 replicas not placed: a replica needs 2.0 GiB; the most free memory on a matching worker is 1.0 GiB',
    );
  });
});
