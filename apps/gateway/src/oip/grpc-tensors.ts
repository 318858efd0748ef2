// ModelInfer's messages (as @grpc/proto-loader decodes them: snake_case fields, 64-bit integers
// as strings, bytes as Buffers, every field defaulted) to and from Alto's inputs and outputs.
// Inputs come as `raw_input_contents` (one entry per input) or typed `contents`; every output
// goes back in `raw_output_contents`, as Triton answers and tritonclient reads. Pure.
import { attachBytes, encodeBytes, invalidInput, type Tensor } from '@alto/protocol';
import type { InferInput, ParameterValue } from './infer.ts';

type Long = string | number;

export interface GrpcParameter {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  bool_param?: boolean;
  int64_param?: Long;
  string_param?: string;
  double_param?: number;
  uint64_param?: Long;
}

export interface GrpcContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: Long[];
  uint_contents?: number[];
  uint64_contents?: Long[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Buffer[];
}

export interface GrpcInferRequest {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, GrpcParameter>;
  inputs: {
    name: string;
    datatype: string;
    shape: Long[];
    parameters: Record<string, GrpcParameter>;
    contents?: GrpcContents | null;
  }[];
  outputs: { name: string; parameters: Record<string, GrpcParameter> }[];
  raw_input_contents: Buffer[];
}

export interface GrpcInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, GrpcParameter>;
  outputs: { name: string; datatype: string; shape: number[] }[];
  raw_output_contents: Buffer[];
}

/** Which `contents` field carries each datatype (FP16 travels only as raw bytes). */
const CONTENTS_FIELD: Record<string, keyof GrpcContents> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

/** A 64-bit integer as a JS number, refused past 2^53 where it would silently round. */
function safeNumber(where: string, v: Long): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw invalidInput(`${where}: ${v} is beyond ±2^53, which Alto cannot carry exactly`);
  return n;
}

export function parameterValues(params: Record<string, GrpcParameter> | undefined): Record<string, ParameterValue> {
  const out: Record<string, ParameterValue> = {};
  for (const [key, p] of Object.entries(params ?? {})) {
    const choice = p.parameter_choice;
    if (choice === undefined) continue;
    const value = p[choice]!;
    out[key] =
      choice === 'int64_param' || choice === 'uint64_param' ? safeNumber(`parameter '${key}'`, value as Long) : value;
  }
  return out;
}

function filled(contents: GrpcContents | null | undefined): (keyof GrpcContents)[] {
  if (!contents) return [];
  return (Object.keys(contents) as (keyof GrpcContents)[]).filter((k) => (contents[k]?.length ?? 0) > 0);
}

export function grpcInputs(request: GrpcInferRequest): InferInput[] {
  const raw = request.raw_input_contents ?? [];
  if (raw.length > 0 && raw.length !== request.inputs.length) {
    throw invalidInput(
      `raw_input_contents: has ${raw.length} entries for ${request.inputs.length} inputs; give one per input, in order, or none`,
    );
  }
  return request.inputs.map((input, i) => {
    const where = `input '${input.name}'`;
    const params = parameterValues(input.parameters);
    if (params.shared_memory_region !== undefined) throw invalidInput(`${where}: shared memory is not supported`);
    const shape = input.shape.map((d) => safeNumber(`${where}: shape`, d));
    const tensor: Record<string, unknown> = { datatype: input.datatype, shape };
    const given = filled(input.contents);
    if (raw.length > 0) {
      if (given.length > 0) {
        throw invalidInput(
          `${where}: has ${given.join(', ')} while the request gives raw_input_contents; give one or the other`,
        );
      }
      attachBytes(tensor, raw[i]!);
      return { name: input.name, tensor };
    }
    const field = CONTENTS_FIELD[input.datatype];
    const stray = given.filter((g) => g !== field);
    if (stray.length > 0) {
      const want = field ? `${field} (or raw_input_contents)` : 'raw_input_contents';
      throw invalidInput(`${where}: datatype ${input.datatype} takes ${want}, got ${stray.join(', ')}`);
    }
    const values = field ? (input.contents?.[field] ?? []) : [];
    if (field === 'bytes_contents') {
      // Elements of any bytes: carried length-prefixed, as raw_input_contents would bring them.
      const bytes = encodeBytes(values as Buffer[]);
      attachBytes(tensor, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { name: input.name, tensor };
    }
    tensor.data =
      field === 'int64_contents' || field === 'uint64_contents'
        ? (values as Long[]).map((v, j) => safeNumber(`${where}: element ${j}`, v))
        : values;
    return { name: input.name, tensor };
  });
}

/** The requested output names (undefined: all), refusing what Alto does not do. */
export function grpcOutputs(request: GrpcInferRequest): string[] | undefined {
  if (!request.outputs || request.outputs.length === 0) return undefined;
  return request.outputs.map((o) => {
    const params = parameterValues(o.parameters);
    if (params.classification !== undefined) {
      throw invalidInput(`output '${o.name}': the classification extension is not supported`);
    }
    if (params.shared_memory_region !== undefined)
      throw invalidInput(`output '${o.name}': shared memory is not supported`);
    return o.name;
  });
}

export function grpcInferResponse(
  head: { model_name: string; model_version: string; id: string; prediction_id: string },
  outputs: { name: string; tensor: Tensor }[],
): GrpcInferResponse {
  return {
    model_name: head.model_name,
    model_version: head.model_version,
    id: head.id,
    parameters: { prediction_id: { string_param: head.prediction_id } },
    outputs: outputs.map(({ name, tensor }) => ({ name, datatype: tensor.datatype, shape: tensor.shape })),
    raw_output_contents: outputs.map(({ tensor }) =>
      Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength),
    ),
  };
}
