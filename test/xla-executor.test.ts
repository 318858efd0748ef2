// XlaExecutor against the real XLA runtime (runtimes/xla, installed by the test setup): the
// shared Executor contract on `tiny-xla`, its outputs against the ONNX `tiny` model's within
// 1e-5, the conv demo batched == solo, and the supervisor restarting a SIGKILLed runtime
// with its models loaded again while a batch is in flight.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxExecutor, XlaExecutor, XlaRuntime, type RawTensor, type XlaRuntimeEvent } from '@alto/runtime';
import { describeExecutor } from '../packages/runtime/src/executor-contract.ts';
import { IN as TINY_IN, OUT as TINY_OUT, tinyForward as tinyReference } from '../scripts/make-tiny-model.ts';
import { ROOT, XLA_INSTALL_TIMEOUT_MS, xlaModelDir, xlaPython } from './support/xla.ts';
import { waitFor } from './support/wait.ts';

const events: XlaRuntimeEvent[] = [];
let runtime: XlaRuntime;

beforeAll(() => {
  runtime = new XlaRuntime({ python: xlaPython(), env: { JAX_PLATFORMS: 'cpu' }, onEvent: (e) => events.push(e) });
}, XLA_INSTALL_TIMEOUT_MS);
afterAll(() => runtime?.close());

const f32 = (dims: number[], values: Float32Array): RawTensor => ({
  type: 'float32',
  dims,
  data: values.slice().buffer,
});
const rows = (n: number, width: number, seed: number) =>
  Float32Array.from({ length: n * width }, (_, i) => Math.sin(seed + i * 0.37) * 2);
const tinyXla = (slots = 1) =>
  XlaExecutor.create({ runtime, model: 'tiny-xla', version: '1', dir: xlaModelDir('tiny-xla'), slots });

describeExecutor('xla', {
  open: (slots) => tinyXla(slots),
  input: { name: 'x', width: TINY_IN },
  output: { name: 'y', width: TINY_OUT },
  reference: tinyReference,
});

describe('XlaExecutor', () => {
  it("tiny-xla's outputs equal the ONNX tiny model's within 1e-5 for the same inputs", async () => {
    const xla = await tinyXla();
    const onnx = await OnnxExecutor.create({
      path: `${ROOT}models/tiny/1/model.onnx`,
      session: { executionProviders: ['cpu'], intraOpNumThreads: 1 },
    });
    try {
      for (const n of [1, 3, 17, 64, 100]) {
        const x = rows(n, TINY_IN, n);
        const a = new Float32Array((await xla.run({ x: f32([n, TINY_IN], x) })).outputs.y!.data);
        const b = new Float32Array((await onnx.run({ x: f32([n, TINY_IN], x) })).outputs.y!.data);
        expect(a.length).toBe(n * TINY_OUT);
        const diff = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
        expect(diff, `${n} rows`).toBeLessThanOrEqual(1e-5);
      }
    } finally {
      await Promise.all([xla.close(), onnx.close()]);
    }
  });

  it("reports its devices as JAX sees them (here JAX_PLATFORMS=cpu: one CPU device with the host's memory)", async () => {
    const d = await runtime.queryDevices();
    expect(d).toMatchObject({ ok: true, kind: 'cpu', count: 1 });
  });

  it('reports the metadata and the compile time of every bucket from the load reply', async () => {
    const e = await XlaExecutor.create({
      runtime,
      model: 'tiny-xla',
      version: '1',
      dir: xlaModelDir('tiny-xla'),
      buckets: [1, 4],
    });
    try {
      expect(e.inputs).toEqual([{ name: 'x', type: 'float32', shape: [-1, TINY_IN] }]);
      expect(e.outputs).toEqual([{ name: 'y', type: 'float32', shape: [-1, TINY_OUT] }]);
      expect(e.meta.buckets).toEqual([1, 4]);
      expect(Object.keys(e.meta.compile_ms).sort()).toEqual(['1', '4']);
      for (const ms of Object.values(e.meta.compile_ms)) expect(ms).toBeGreaterThan(0);
    } finally {
      await e.close();
    }
  });

  it('the conv demo computes a batch of 5 exactly as each row alone, within 1e-5', async () => {
    const width = 3 * 48 * 192;
    const e = await XlaExecutor.create({ runtime, model: 'conv-xla', version: '1', dir: xlaModelDir('conv-xla') });
    try {
      expect(e.inputs[0]!.shape).toEqual([-1, 3, 48, 192]);
      const x = rows(5, width, 7);
      const batched = new Float32Array((await e.run({ x: f32([5, 3, 48, 192], x) })).outputs.probs!.data);
      for (let r = 0; r < 5; r++) {
        const solo = await e.run({ x: f32([1, 3, 48, 192], x.slice(r * width, (r + 1) * width)) });
        const one = new Float32Array(solo.outputs.probs!.data);
        one.forEach((v, k) => expect(Math.abs(v - batched[r * 2 + k]!)).toBeLessThanOrEqual(1e-5));
      }
    } finally {
      await e.close();
    }
  }, 120_000);

  it('a SIGKILLed runtime is restarted with its models loaded again, and the batch in flight still completes', async () => {
    const deaths: Error[] = [];
    const e = await XlaExecutor.create({
      runtime,
      model: 'tiny-xla',
      version: '1',
      dir: xlaModelDir('tiny-xla'),
      onRuntimeDeath: (err) => deaths.push(err),
    });
    try {
      const x = rows(8, TINY_IN, 5);
      // One run first, so that the next one's request is written at once on an open connection.
      await e.run({ x: f32([1, TINY_IN], x.slice(0, TINY_IN)) });
      const before = runtime.pid!;
      // Stopped, the runtime cannot answer before it dies: the batch is in flight when it does.
      process.kill(before, 'SIGSTOP');
      const inflight = e.run({ x: f32([8, TINY_IN], x) });
      await waitFor(() => e.busyCount === 1, { what: 'the batch to be sent' });
      process.kill(before, 'SIGKILL');
      const y = new Float32Array((await inflight).outputs.y!.data);
      const want = tinyReference(x, 8);
      y.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
      expect(deaths).toHaveLength(1);
      await waitFor(() => runtime.pid !== undefined && runtime.pid !== before, { what: 'a new runtime process' });
      expect(events.some((ev) => ev.type === 'exited' && ev.pid === before)).toBe(true);
      expect(events.some((ev) => ev.type === 'reloaded' && ev.model === 'tiny-xla')).toBe(true);
      const again = await e.run({ x: f32([2, TINY_IN], x.slice(0, 2 * TINY_IN)) });
      expect(again.outputs.y!.dims).toEqual([2, TINY_OUT]);
    } finally {
      await e.close();
    }
  }, 120_000);
});
