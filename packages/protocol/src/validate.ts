// Checks a request's inputs against a model's metadata before anything is enqueued.
import { PredictionFailure, invalidInput } from './errors.ts';
import type { ModelInfo } from './model.ts';
import { decodeTensor, fmtShape, readEnvelope, type Tensor } from './tensor.ts';
import type { TensorMap } from './tensor-codec.ts';
import { isReferenceValue, readReference } from './tensor-ref.ts';

export interface ValidatedInput {
  tensors: TensorMap;
  /** Rows along dim 0 (1 for a model that does not batch). */
  rows: number;
}

export interface ValidateOptions {
  /**
   * Vets the URI of an input given by reference ({"uri": ...}, see tensor-ref.ts), throwing what
   * the request is refused with. @default none: inputs by reference are refused
   */
  checkUri?: (name: string, uri: string) => void;
}

export function validateInputs(
  model: ModelInfo,
  input: Record<string, unknown>,
  options: ValidateOptions = {},
): ValidatedInput {
  const expected = model.inputs.map((i) => i.name);
  for (const name of Object.keys(input)) {
    if (!expected.includes(name)) {
      throw invalidInput(
        `input '${name}': model '${model.name}' has no such input; its inputs are ${expected.join(', ')}`,
      );
    }
  }
  const batching = model.batching.max_batch_size > 0;
  const tensors: TensorMap = new Map();
  let rows: number | undefined;
  let rowsFrom = '';
  for (const spec of model.inputs) {
    const value = input[spec.name];
    if (value === undefined) {
      throw invalidInput(`input '${spec.name}': missing; model '${model.name}' needs inputs ${expected.join(', ')}`);
    }
    const ref = isReferenceValue(value)
      ? readReference(spec.name, value, spec.datatype, options.checkUri ?? refuseReference)
      : undefined;
    // A .npy named without a shape is checked by the worker once it has read the object.
    if (ref && !ref.ref!.shaped) {
      if (ref.datatype !== spec.datatype) {
        throw invalidInput(`input '${spec.name}': expected datatype ${spec.datatype}, got ${ref.datatype}`);
      }
      tensors.set(spec.name, ref);
      continue;
    }
    const { datatype, shape } = ref ?? readEnvelope(spec.name, value);
    if (datatype !== spec.datatype) {
      throw invalidInput(`input '${spec.name}': expected datatype ${spec.datatype}, got ${datatype}`);
    }
    const fits = shape.length === spec.shape.length && spec.shape.every((d, i) => d === -1 || d === shape[i]);
    if (!fits) {
      throw invalidInput(`input '${spec.name}': expected shape ${fmtShape(spec.shape)}, got ${fmtShape(shape)}`);
    }
    if (batching) {
      const n = shape[0]!;
      if (n < 1) throw invalidInput(`input '${spec.name}': batch size (dim 0) must be at least 1, got ${n}`);
      if (n > model.batching.max_batch_size) {
        throw invalidInput(
          `input '${spec.name}': batch size ${n} exceeds model '${model.name}' max_batch_size ${model.batching.max_batch_size}`,
        );
      }
      if (rows !== undefined && n !== rows) {
        throw invalidInput(`input '${spec.name}': batch size ${n} differs from input '${rowsFrom}' batch size ${rows}`);
      }
      rows = n;
      rowsFrom = spec.name;
    }
    tensors.set(spec.name, ref ?? decodeTensor(spec.name, value as Record<string, unknown>, datatype, shape));
  }
  return { tensors, rows: rows ?? 1 };
}

function refuseReference(name: string): never {
  throw invalidInput(
    `input '${name}': inputs by reference ("uri") are not accepted on this endpoint; send "data" or "b64"`,
  );
}

/** Thrown by the queue when a model's outputs cannot be split back per request. */
export function unsplittable(output: string, got: number, rows: number): PredictionFailure {
  return new PredictionFailure(
    'inference_failed',
    `output '${output}': dim 0 is ${got}, expected the batch's ${rows} rows`,
  );
}

export type { Tensor };
