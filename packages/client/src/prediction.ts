// A prediction with its output tensors decoded into TypedArrays; every other field is as the
// API renders it (snake_case, ISO timestamps), so the docs of the HTTP API describe it too.
import { decodeOutput, type Tensor } from './tensor.ts';
import type { Datatype, PredictionJson } from './types.ts';

/** An output the worker wrote to an object (output_uri, docs/payloads.md) instead of returning it. */
export interface OutputObject {
  datatype: Datatype;
  shape: number[];
  /** The .npy object, e.g. gs://bucket/out/<prediction id>/<output>.npy */
  uri: string;
}

export interface Prediction extends Omit<PredictionJson, 'output'> {
  /** Output name → tensor, once succeeded; null before and on failure. Outputs written to objects are in `outputObjects`. */
  output: Record<string, Tensor> | null;
  /** Output name → the object it was written to; absent when every output came inline. */
  outputObjects?: Record<string, OutputObject>;
}

export function decodePrediction(p: PredictionJson): Prediction {
  if (!p.output) return { ...p, output: null };
  const output: Record<string, Tensor> = {};
  const objects: Record<string, OutputObject> = {};
  for (const [name, t] of Object.entries(p.output)) {
    if ('uri' in t) objects[name] = { datatype: t.datatype, shape: t.shape, uri: t.uri };
    else output[name] = decodeOutput(name, t);
  }
  return { ...p, output, ...(Object.keys(objects).length > 0 ? { outputObjects: objects } : {}) };
}
