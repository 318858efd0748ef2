// OnnxExecutor against the Executor contract, on the committed `tiny` model (x [batch,64] →
// Gemm → Relu → Gemm → y [batch,10]) with the reference computed from its generator's weights.
import { fileURLToPath } from 'node:url';
import { IN, OUT, tinyForward as tiny } from '../../../scripts/make-tiny-model.ts';
import { describeExecutor } from './executor-contract.ts';
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
