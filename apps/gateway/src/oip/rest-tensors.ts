// The Open Inference Protocol's REST inference bodies: the request's JSON (with the binary
// tensor extension's raw bytes after it) into Alto inputs, and the response's outputs as JSON
// `data` or raw bytes after the JSON header. Pure: no I/O, unit-tested beside.
import { attachBytes, hasTextValues, invalidInput, tensorValues, type Tensor } from '@alto/protocol';
import type { InferInput, ParameterValue } from './infer.ts';

export interface RestInferRequest {
  id?: string;
  inputs: InferInput[];
  /** The outputs asked for, with whether each comes back as raw bytes (undefined: as the request's default). */
  outputs?: { name: string; binary?: boolean }[];
  parameters: Record<string, ParameterValue>;
}

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : JSON.stringify(v);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parameters(where: string, value: unknown): Record<string, ParameterValue> {
  if (value === undefined) return {};
  if (!isObject(value)) throw invalidInput(`${where}: parameters must be an object, got ${describe(value)}`);
  for (const [key, v] of Object.entries(value)) {
    if (!['string', 'number', 'boolean'].includes(typeof v)) {
      throw invalidInput(`${where}: parameter '${key}' must be a string, number or boolean, got ${describe(v)}`);
    }
  }
  return value as Record<string, ParameterValue>;
}

/**
 * Reads an inference request. `binary` holds the bytes after the JSON header (binary tensor
 * extension): inputs with `parameters.binary_data_size` take their bytes from it, in order.
 */
export function parseRestInfer(json: unknown, binary: Buffer = Buffer.alloc(0)): RestInferRequest {
  if (!isObject(json)) throw invalidInput(`request body: expected an inference request object, got ${describe(json)}`);
  const { id, inputs, outputs } = json;
  if (id !== undefined && typeof id !== 'string')
    throw invalidInput(`field 'id': must be a string, got ${describe(id)}`);
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw invalidInput(`field 'inputs': expected a non-empty array of input tensors, got ${describe(inputs)}`);
  }
  let offset = 0;
  const parsed: InferInput[] = inputs.map((input: unknown, i) => {
    if (!isObject(input) || typeof input.name !== 'string') {
      throw invalidInput(`field 'inputs[${i}]': expected an object with a string 'name', got ${describe(input)}`);
    }
    const where = `input '${input.name}'`;
    const params = parameters(where, input.parameters);
    if (params.shared_memory_region !== undefined) throw invalidInput(`${where}: shared memory is not supported`);
    const tensor: Record<string, unknown> = { datatype: input.datatype, shape: input.shape };
    const size = params.binary_data_size;
    if (size !== undefined) {
      if (input.data !== undefined) throw invalidInput(`${where}: give either "data" or binary_data_size, not both`);
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        throw invalidInput(`${where}: binary_data_size must be a non-negative integer, got ${describe(size)}`);
      }
      if (offset + size > binary.length) {
        throw invalidInput(
          `${where}: binary_data_size ${size} runs past the end of the body (${binary.length - offset} bytes left)`,
        );
      }
      attachBytes(tensor, binary.subarray(offset, offset + size));
      offset += size;
    } else if (input.data === undefined) {
      throw invalidInput(`${where}: give its values as "data" or as raw bytes with parameters.binary_data_size`);
    } else {
      tensor.data = input.data;
    }
    return { name: input.name, tensor };
  });
  if (offset !== binary.length) {
    throw invalidInput(
      `request body: ${binary.length - offset} bytes follow the JSON header and the binary inputs; ` +
        `binary_data_size sizes account for ${offset}`,
    );
  }
  const request: RestInferRequest = { inputs: parsed, parameters: parameters('request', json.parameters) };
  if (id !== undefined) request.id = id;
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) throw invalidInput(`field 'outputs': expected an array, got ${describe(outputs)}`);
    request.outputs = outputs.map((output: unknown, i) => {
      if (!isObject(output) || typeof output.name !== 'string') {
        throw invalidInput(`field 'outputs[${i}]': expected an object with a string 'name', got ${describe(output)}`);
      }
      const where = `output '${output.name}'`;
      const params = parameters(where, output.parameters);
      if (params.classification !== undefined) {
        throw invalidInput(`${where}: the classification extension is not supported`);
      }
      if (params.shared_memory_region !== undefined) throw invalidInput(`${where}: shared memory is not supported`);
      const binary = params.binary_data;
      if (binary !== undefined && typeof binary !== 'boolean') {
        throw invalidInput(`${where}: parameter 'binary_data' must be true or false, got ${describe(binary)}`);
      }
      return binary === undefined ? { name: output.name } : { name: output.name, binary };
    });
  }
  const all = request.parameters.binary_data_output;
  if (all !== undefined && typeof all !== 'boolean') {
    throw invalidInput(`request: parameter 'binary_data_output' must be true or false, got ${describe(all)}`);
  }
  return request;
}

export interface RestInferResponse {
  /** The JSON header; the whole body when `binary` is empty. */
  json: string;
  /** Raw bytes of the binary outputs, in the order of the header's outputs. */
  binary: Buffer[];
}

export function restInferResponse(
  head: { model_name: string; model_version: string; id?: string; parameters?: Record<string, ParameterValue> },
  outputs: { name: string; tensor: Tensor; binary: boolean }[],
): RestInferResponse {
  const binary: Buffer[] = [];
  const rendered = outputs.map(({ name, tensor, binary: asked }) => {
    const base = { name, datatype: tensor.datatype, shape: tensor.shape };
    // BYTES that are not UTF-8 cannot be JSON strings: they come as binary data whatever was asked.
    const raw = asked || !hasTextValues(tensor);
    if (!raw) return { ...base, data: tensorValues(tensor) };
    binary.push(Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
    return { ...base, parameters: { binary_data_size: tensor.data.byteLength } };
  });
  return { json: JSON.stringify({ ...head, outputs: rendered }), binary };
}
