// OnnxExecutor against the Executor contract, on the committed `tiny` model (x [batch,64] →
// Gemm → Relu → Gemm → y [batch,10]) with the reference computed from its generator's weights.
import { fileURLToPath } from 'node:url';
import { HIDDEN, IN, OUT, tinyWeights } from '../../../scripts/make-tiny-model.ts';
import { describeExecutor } from './executor-contract.ts';
import { OnnxExecutor } from './onnx-executor.ts';

const TINY = fileURLToPath(new URL('../../../models/tiny/1/model.onnx', import.meta.url));

function tiny(x: Float32Array, rows: number): Float32Array {
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
