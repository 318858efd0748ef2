// The committed `tiny` checkpoint is exactly what its generator writes, and it computes the
// MLP its weights describe.
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { HIDDEN, IN, OUT, TINY_PATH, buildTinyModel, tinyWeights } from '../scripts/make-tiny-model.ts';

const ROWS = 5;

/** Deterministic inputs in [-1, 1): row r, column i. No PRNG, so nothing is shared with the generator. */
function inputs(rows: number): Float32Array {
  return Float32Array.from({ length: rows * IN }, (_, n) => Math.sin(n * 0.37 + 1) * ((n % 7) / 6 + 0.25));
}

/** The MLP in plain JavaScript (float64 accumulation), independent of onnxruntime. */
function mlp(x: Float32Array, rows: number): number[] {
  const { w1, b1, w2, b2 } = tinyWeights();
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    const hidden = Array.from({ length: HIDDEN }, (_, j) => {
      let s = b1[j]!;
      for (let i = 0; i < IN; i++) s += x[r * IN + i]! * w1[i * HIDDEN + j]!;
      return Math.max(0, s);
    });
    for (let k = 0; k < OUT; k++) {
      let s = b2[k]!;
      for (let j = 0; j < HIDDEN; j++) s += hidden[j]! * w2[j * OUT + k]!;
      out.push(s);
    }
  }
  return out;
}

describe('tiny demo model', () => {
  it('the committed file is byte-identical to what scripts/make-tiny-model.ts generates', () => {
    const committed = readFileSync(TINY_PATH);
    expect(Buffer.from(buildTinyModel()).equals(committed)).toBe(true);
  });

  it('generates the same bytes every time', () => {
    expect(Buffer.from(buildTinyModel()).equals(Buffer.from(buildTinyModel()))).toBe(true);
  });

  it('computes the MLP of its weights under onnxruntime', async () => {
    const session = await ort.InferenceSession.create(TINY_PATH);
    try {
      expect(session.inputNames).toEqual(['x']);
      expect(session.outputNames).toEqual(['y']);
      expect(session.inputMetadata[0]).toMatchObject({
        name: 'x',
        isTensor: true,
        type: 'float32',
        shape: ['batch', IN],
      });
      expect(session.outputMetadata[0]).toMatchObject({
        name: 'y',
        isTensor: true,
        type: 'float32',
        shape: ['batch', OUT],
      });

      const x = inputs(ROWS);
      const out = await session.run({ x: new ort.Tensor('float32', x, [ROWS, IN]) });
      const y = out.y!;
      expect(y.type).toBe('float32');
      expect(y.dims).toEqual([ROWS, OUT]);
      const got = Array.from(y.data as Float32Array);
      const want = mlp(x, ROWS);
      expect(got).toHaveLength(want.length);
      got.forEach((g, n) => {
        const w = want[n]!;
        if (Math.abs(g - w) > 1e-5 * Math.max(1, Math.abs(w)))
          throw new Error(`y[${n}]: onnxruntime ${g}, plain JS ${w}`);
      });
      // Not degenerate: outputs differ across rows and are not all ~0.
      expect(got.some((v) => Math.abs(v) > 1e-2)).toBe(true);
      expect(got.slice(0, OUT)).not.toEqual(got.slice(OUT, 2 * OUT));
    } finally {
      await session.release();
    }
  });
});
