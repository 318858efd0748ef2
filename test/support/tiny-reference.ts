// The `tiny` demo model computed in plain TypeScript from its generator's weights: the
// independent computation the ONNX and XLA versions of it are both compared against.
import { HIDDEN, IN, OUT, tinyWeights } from '../../scripts/make-tiny-model.ts';

export const TINY_IN = IN;
export const TINY_OUT = OUT;

export function tinyReference(x: Float32Array, rows: number): Float32Array {
  const { w1, b1, w2, b2 } = tinyWeights();
  const y = new Float32Array(rows * OUT);
  for (let r = 0; r < rows; r++) {
    const h = Array.from({ length: HIDDEN }, (_, j) => {
      let s = b1[j]!;
      for (let i = 0; i < IN; i++) s += x[r * IN + i]! * w1[i * HIDDEN + j]!;
      return Math.max(0, s);
    });
    for (let k = 0; k < OUT; k++) {
      let s = b2[k]!;
      for (let j = 0; j < HIDDEN; j++) s += h[j]! * w2[j * OUT + k]!;
      y[r * OUT + k] = s;
    }
  }
  return y;
}
