// Builds the metadata a model is served with: tensor specs from the ONNX session, narrowed
// by config.json, and the batching policy.
import { DEFAULT_MAX_QUEUE_LENGTH, fmtShape, type ModelInfo, type TensorSpec } from '@alto/protocol';
import type { ResolvedModel } from '@alto/repository';
import { canBatch, toSpec, type IoMeta } from '@alto/runtime';

/** Default max_batch_size for a model whose inputs all have a dynamic dim 0. */
export const DEFAULT_MAX_BATCH_SIZE = 32;

export function buildModelInfo(
  resolved: ResolvedModel,
  inputs: IoMeta[],
  outputs: IoMeta[],
  platform: ModelInfo['platform'] = 'onnx',
): ModelInfo {
  const { config, name } = resolved;
  const specs = inputs.map(toSpec);
  for (const narrowed of config.inputs ?? []) {
    const spec = specs.find((s) => s.name === narrowed.name);
    if (!spec)
      throw new Error(`model '${name}': config.json names input '${narrowed.name}', which the model does not have`);
    narrow(name, spec, narrowed.shape);
  }
  // BYTES inputs of an ONNX model take text: onnxruntime-node carries string tensors as JS
  // strings (UTF-8), and a pipeline's tokenizer reads text. The gateway refuses other bytes.
  if (platform === 'onnx') for (const spec of specs) if (spec.datatype === 'BYTES') spec.text = true;
  const batchable = canBatch(specs);
  const maxBatch = config.max_batch_size ?? (batchable ? DEFAULT_MAX_BATCH_SIZE : 0);
  if (maxBatch > 0 && !batchable) {
    throw new Error(
      `model '${name}': max_batch_size ${maxBatch} needs a dynamic dim 0 on every input; ` +
        `inputs are ${specs.map((s) => `${s.name} ${fmtShape(s.shape)}`).join(', ')}`,
    );
  }
  return {
    name,
    version: resolved.version,
    versions: resolved.versions,
    ...(config.description ? { description: config.description } : {}),
    platform,
    inputs: specs,
    outputs: outputs.map(toSpec),
    batching: { max_batch_size: maxBatch, max_queue_delay_ms: config.max_queue_delay_ms ?? 0 },
    max_queue_length: config.max_queue_length ?? DEFAULT_MAX_QUEUE_LENGTH,
    ...(config.timeout_ms ? { timeout_ms: config.timeout_ms } : {}),
  };
}

function narrow(model: string, spec: TensorSpec, shape: number[]): void {
  const ok = shape.length === spec.shape.length && shape.every((d, i) => spec.shape[i] === -1 || spec.shape[i] === d);
  if (!ok) {
    throw new Error(
      `model '${model}': config.json shape ${fmtShape(shape)} for input '${spec.name}' contradicts the model's ${fmtShape(spec.shape)}`,
    );
  }
  spec.shape = shape;
}
