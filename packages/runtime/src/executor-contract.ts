// The behaviour every Executor shares, run against each implementation with a model it can
// load (onnx-executor.test.ts runs it on the `tiny` demo model). A backend that plugs into
// the worker's scheduler passes this suite; the fixture supplies an independent computation
// of the model to compare against.
import { afterEach, describe, expect, it } from 'vitest';
import type { Executor } from './executor.ts';
import type { RawTensor } from './thread-protocol.ts';

export interface ExecutorFixture {
  /** Loads the model with `slots` batches at once. */
  open(slots: number): Promise<Executor>;
  /** The model's one FP32 input and one FP32 output, and how wide a row of each is. */
  input: { name: string; width: number };
  output: { name: string; width: number };
  /** The model's outputs for `rows` rows of input, computed without the executor. */
  reference(x: Float32Array, rows: number): Float32Array;
}

const f32 = (dims: number[], values: Float32Array): RawTensor => ({
  type: 'float32',
  dims,
  data: values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength) as ArrayBuffer,
});

export function describeExecutor(name: string, fx: ExecutorFixture): void {
  describe(`Executor contract: ${name}`, () => {
    const open: Executor[] = [];
    const load = async (slots: number) => {
      const e = await fx.open(slots);
      open.push(e);
      return e;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((e) => e.close()));
    });

    const rowsOf = (rows: number, seed: number) =>
      Float32Array.from({ length: rows * fx.input.width }, (_, i) => Math.sin(seed + i));

    const expectOutputs = (raw: RawTensor | undefined, x: Float32Array, rows: number) => {
      expect(raw?.dims).toEqual([rows, fx.output.width]);
      const got = new Float32Array(raw!.data);
      const want = fx.reference(x, rows);
      expect(got.length).toBe(want.length);
      got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
    };

    it("declares the model's inputs and outputs, and as many slots as asked", async () => {
      const e = await load(2);
      expect(e.inputs.map((i) => i.name)).toEqual([fx.input.name]);
      expect(e.outputs.map((o) => o.name)).toEqual([fx.output.name]);
      expect(e.slots).toBe(2);
      expect(e.busyCount).toBe(0);
    });

    it('computes a batch along dim 0: every row matches an independent computation', async () => {
      const e = await load(1);
      const x = rowsOf(3, 1);
      const result = await e.run({ [fx.input.name]: f32([3, fx.input.width], x) });
      expectOutputs(result.outputs[fx.output.name], x, 3);
      expect(result.ms).toBeGreaterThanOrEqual(0);
    });

    it('computes `slots` batches at once, each with its own result', async () => {
      const e = await load(2);
      const xs = [rowsOf(2, 10), rowsOf(5, 20)];
      const results = await Promise.all(
        xs.map((x, i) => e.run({ [fx.input.name]: f32([i === 0 ? 2 : 5, fx.input.width], x) })),
      );
      expectOutputs(results[0]!.outputs[fx.output.name], xs[0]!, 2);
      expectOutputs(results[1]!.outputs[fx.output.name], xs[1]!, 5);
      expect(e.busyCount).toBe(0);
    });

    it('takes `slots + ahead` batches at once, the queued ones computed after, each with its own result', async () => {
      const e = await load(1);
      const n = e.slots + (e.ahead ?? 0);
      const xs = Array.from({ length: n }, (_, i) => rowsOf(i + 1, 30 + i));
      const results = await Promise.all(xs.map((x, i) => e.run({ [fx.input.name]: f32([i + 1, fx.input.width], x) })));
      results.forEach((r, i) => expectOutputs(r.outputs[fx.output.name], xs[i]!, i + 1));
      expect(e.busyCount).toBe(0);
    });

    it('rejects a batch it cannot compute and goes on computing the next', async () => {
      const e = await load(1);
      const bad = Float32Array.from({ length: fx.input.width + 1 }, () => 1);
      await expect(e.run({ [fx.input.name]: f32([1, fx.input.width + 1], bad) })).rejects.toThrow();
      const x = rowsOf(1, 3);
      expectOutputs((await e.run({ [fx.input.name]: f32([1, fx.input.width], x) })).outputs[fx.output.name], x, 1);
    });

    it('closes with nothing left running', async () => {
      const e = await fx.open(1);
      await e.close();
      expect(e.busyCount).toBe(0);
    });
  });
}
