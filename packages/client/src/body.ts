// The request body of a prediction: JSON, with TypedArray tensors as exact `b64`, or, once the
// TypedArray bytes reach the binary threshold, the binary tensor extension (a JSON header of
// `Inference-Header-Content-Length` bytes, then each such tensor's raw bytes in input order),
// which spares both sides base64 and JSON number parsing.
import { invalidInput } from './errors.ts';
import { isTypedArray, tensor, tensorBytes, tensorToJson, type Tensor, type TypedArray } from './tensor.ts';
import type { Datatype, InputTensorJson, PredictionRequestJson } from './types.ts';

/** An input: a TypedArray tensor (datatype optional, implied by the array) or a tensor in JSON. */
export type TensorInput = { datatype?: Datatype; shape: readonly number[]; data: TypedArray } | InputTensorJson;

export const BINARY_CONTENT_TYPE = 'application/octet-stream';

export interface EncodedBody {
  body: string | Uint8Array;
  headers: Record<string, string>;
}

/** `fields` is the request without `input`. Checks every TypedArray tensor before anything is sent. */
export function encodeRequest(
  inputs: Record<string, TensorInput>,
  fields: Omit<PredictionRequestJson, 'input'>,
  binaryThresholdBytes: number,
): EncodedBody {
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
    throw invalidInput(`inputs: expected an object of input name → tensor, got ${JSON.stringify(inputs)}`);
  }
  const typed = new Map<string, Tensor>();
  let bytes = 0;
  for (const [name, t] of Object.entries(inputs)) {
    if (typeof t !== 'object' || t === null) throw invalidInput(`input '${name}': expected a tensor, got ${String(t)}`);
    const data = (t as { data?: unknown }).data;
    if (isTypedArray(data)) {
      const checked = tensor(data, t.shape ?? [], t.datatype, name);
      typed.set(name, checked);
      bytes += checked.data.byteLength;
    }
  }
  const binary = typed.size > 0 && bytes >= binaryThresholdBytes;
  const input: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(inputs)) {
    const checked = typed.get(name);
    if (!checked) input[name] = t;
    else if (binary)
      input[name] = { datatype: checked.datatype, shape: checked.shape, binary_data_size: checked.data.byteLength };
    else input[name] = tensorToJson(checked);
  }
  const json = JSON.stringify({ ...fields, input });
  if (!binary) return { body: json, headers: { 'content-type': 'application/json' } };

  const header = new TextEncoder().encode(json);
  const out = new Uint8Array(header.length + bytes);
  out.set(header, 0);
  let offset = header.length;
  for (const t of typed.values()) {
    out.set(tensorBytes(t), offset);
    offset += t.data.byteLength;
  }
  return {
    body: out,
    headers: { 'content-type': BINARY_CONTENT_TYPE, 'inference-header-content-length': String(header.length) },
  };
}
