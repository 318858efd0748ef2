// Turns an ONNX session's input/output metadata into Alto tensor specs.
import { UnsupportedDatatypeError, datatypeOfOrt, type TensorSpec } from '@alto/protocol';
import type { IoMeta } from './thread-protocol.ts';

/** Symbolic and unknown dims become -1. */
export function toSpec(meta: IoMeta): TensorSpec {
  const datatype = datatypeOfOrt(meta.type);
  if (!datatype) {
    throw new UnsupportedDatatypeError(`tensor '${meta.name}' has type ${meta.type}, which Alto cannot serve`);
  }
  return { name: meta.name, datatype, shape: meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) };
}

/** True when every input's first dim is dynamic, i.e. requests can be stacked along it. */
export function canBatch(inputs: readonly TensorSpec[]): boolean {
  return inputs.length > 0 && inputs.every((i) => i.shape.length > 0 && i.shape[0] === -1);
}
