// Direct onnxruntime-node runs: the independent computation tests compare against.
import ort from 'onnxruntime-node';
import { ROOT } from './fleet.ts';

const sessions = new Map<string, Promise<ort.InferenceSession>>();

export function session(model: string): Promise<ort.InferenceSession> {
  let s = sessions.get(model);
  if (!s)
    sessions.set(
      model,
      (s = ort.InferenceSession.create(`${ROOT}models/${model}/1/model.onnx`, { intraOpNumThreads: 1 })),
    );
  return s;
}

/** Runs one FP32 input through the model directly; returns the first output's values and dims. */
export async function runDirect(
  model: string,
  input: string,
  data: Float32Array,
  dims: number[],
): Promise<{ data: number[]; dims: number[] }> {
  const s = await session(model);
  const out = await s.run({ [input]: new ort.Tensor('float32', data, dims) });
  const t = out[s.outputNames[0]!]!;
  return { data: Array.from(t.data as Float32Array), dims: [...t.dims] };
}
