// OnnxExecutor against the Executor contract, on the committed `tiny` model (x [batch,64] →
// Gemm → Relu → Gemm → y [batch,10]) with the reference computed from its generator's weights.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IN, OUT, tinyForward as tiny } from '../../../scripts/make-tiny-model.ts';
import { describeExecutor } from './executor-contract.ts';
import { inputBuffersKept } from './input-buffers.ts';
import { OnnxExecutor } from './onnx-executor.ts';

const TINY = fileURLToPath(new URL('../../../models/tiny/1/model.onnx', import.meta.url));

describeExecutor('onnx', {
  open: (slots) =>
    OnnxExecutor.create({
      path: TINY,
      instances: slots,
      session: { executionProviders: ['cpu'], intraOpNumThreads: 1 },
    }),
  input: { name: 'x', width: IN },
  output: { name: 'y', width: OUT },
  reference: tiny,
});

const TEXTDIR = fileURLToPath(new URL('../../../models/textdir/1/model.onnx', import.meta.url));

describe('OnnxExecutor queueing ahead', () => {
  it('runs a batch queued behind the running one after it, timing each from its own start', async () => {
    const e = await OnnxExecutor.create({
      path: TEXTDIR,
      session: { executionProviders: ['cpu'], intraOpNumThreads: 1 },
    });
    try {
      expect(e.ahead).toBe(1);
      const rows = 16;
      const batch = () => ({
        x: {
          type: 'float32' as const,
          dims: [rows, 3, 48, 192],
          data: Float32Array.from({ length: rows * 3 * 48 * 192 }, (_, i) => Math.sin(i) * 0.5).buffer,
        },
      });
      await e.run(batch());
      // Both built first, so the second is sent before the first starts.
      const [fa, fb] = [batch(), batch()];
      const t0 = performance.now();
      const [a, b] = await Promise.all([e.run(fa), e.run(fb)]);
      const wall = performance.now() - t0;
      for (const r of [a, b]) expect(Object.values(r.outputs)[0]!.dims[0]).toBe(rows);
      // One after the other on one thread: their times fit in the wall time. Had the second's
      // clock started while the first ran, the two would add up to more.
      expect(a.ms + b.ms).toBeLessThanOrEqual(wall);
      expect(Math.min(a.ms, b.ms)).toBeGreaterThan(0);
    } finally {
      await e.close();
    }
  });

  it('hands the input buffer back after a run, for the next batch to fill', async () => {
    const e = await OnnxExecutor.create({
      path: TEXTDIR,
      session: { executionProviders: ['cpu'], intraOpNumThreads: 1 },
    });
    try {
      const bytes = 3 * 3 * 48 * 192 * 4;
      const before = inputBuffersKept();
      await e.run({ x: { type: 'float32', dims: [3, 3, 48, 192], data: new ArrayBuffer(bytes) } });
      const after = inputBuffersKept();
      expect(before.count).toBeLessThan(8);
      expect(after).toEqual({ count: before.count + 1, bytes: before.bytes + bytes });
    } finally {
      await e.close();
    }
  });
});
