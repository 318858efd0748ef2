// The committed `tiny` checkpoint is exactly what its generator writes, and it computes the
// MLP its weights describe.
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { HIDDEN, IN, OUT, TINY_PATH, buildTinyModel, tinyWeights } from '../scripts/make-tiny-model.ts';
import { expectClose, randomFloats } from './support/http.ts';

/** The MLP in plain JavaScript, independent of onnxruntime. */
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
  it('is byte-identical to what scripts/make-tiny-model.ts generates, every time', () => {
    const built = buildTinyModel();
    expect(Buffer.from(buildTinyModel()).equals(Buffer.from(built))).toBe(true);
    expect(Buffer.from(readFileSync(TINY_PATH)).equals(Buffer.from(built))).toBe(true);
  });

  it('computes the MLP of its weights under onnxruntime', async () => {
    const session = await ort.InferenceSession.create(TINY_PATH);
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y']);
    const x = randomFloats(5 * IN, 99);
    const out = await session.run({ x: new ort.Tensor('float32', x, [5, IN]) });
    expect(out.y!.dims).toEqual([5, OUT]);
    const got = Array.from(out.y!.data as Float32Array);
    expectClose(got, mlp(x, 5), 1e-4);
    expect(got.some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });
});
