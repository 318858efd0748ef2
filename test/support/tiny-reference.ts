// The `tiny` demo model computed in plain TypeScript from its generator's weights: the
// independent computation the ONNX and XLA versions of it are both compared against.
import { IN, OUT, tinyForward } from '../../scripts/make-tiny-model.ts';

export const TINY_IN = IN;
export const TINY_OUT = OUT;

export const tinyReference = tinyForward;
