// A prediction with its output tensors decoded into TypedArrays; every other field is as the
// API renders it (snake_case, ISO timestamps), so the docs of the HTTP API describe it too.
import { decodeOutput, type Tensor } from './tensor.ts';
import type { PredictionJson } from './types.ts';

export interface Prediction extends Omit<PredictionJson, 'output'> {
  /** Output name → tensor, once succeeded; null before and on failure. */
  output: Record<string, Tensor> | null;
}

export function decodePrediction(p: PredictionJson): Prediction {
  if (!p.output) return { ...p, output: null };
  const output: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(p.output)) output[name] = decodeOutput(name, t);
  return { ...p, output };
}
