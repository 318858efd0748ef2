// Tensors by reference: an input given as {"uri": "gs://…" | "file://…"} instead of its data,
// and an output stored as an object instead of inline. The gateway checks the envelope and the
// URI's place and does not download; the queue carries the URI (tensor-codec.ts); the worker
// reads and writes the objects (docs/payloads.md).
import { invalidInput } from './errors.ts';
import { DATATYPES, isDatatype, type Datatype } from './datatypes.ts';
import { readEnvelope, type Tensor } from './tensor.ts';
import type { TensorMap } from './tensor-codec.ts';

/** Where a tensor's bytes are instead of its `data` (which is then empty). */
export interface TensorRef {
  /** gs://bucket/name, file:///path */
  uri: string;
  /**
   * Whether `shape` is known: given by the request (or written by the worker). An input naming
   * a .npy may leave it out; its shape is then the object's, and `shape` is [] until it is read.
   */
  shaped: boolean;
}

/** The object names whose bytes are a .npy (which carries its dtype and shape); others are raw bytes. */
export const isNpyUri = (uri: string): boolean => /\.npy$/i.test(uri);

/** Whether a request's tensor value gives a `uri` (a tensor by reference). */
export const isReferenceValue = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && 'uri' in value;

/**
 * The reference tensor of an input given as {"uri", "datatype"?, "shape"?}. `datatype` defaults
 * to the model's; a raw object (not .npy) needs `shape`; `check` vets the URI (its syntax and its
 * allowed root) and throws what the request should be refused with.
 */
export function readReference(
  name: string,
  value: Record<string, unknown>,
  expected: Datatype,
  check: (name: string, uri: string) => void,
): Tensor {
  const { uri, datatype, shape } = value;
  const extra = Object.keys(value).filter((k) => !['uri', 'datatype', 'shape'].includes(k));
  if (extra.length > 0) {
    throw invalidInput(
      `input '${name}': a tensor by reference has "uri" and optionally "datatype" and "shape", not "${extra.join('", "')}"`,
    );
  }
  if (typeof uri !== 'string' || uri === '') {
    throw invalidInput(`input '${name}': uri must be a gs:// or file:// URI, got ${JSON.stringify(uri)}`);
  }
  check(name, uri);
  if (datatype !== undefined && !isDatatype(datatype)) {
    throw invalidInput(
      `input '${name}': datatype must be one of ${DATATYPES.join(', ')}, got ${JSON.stringify(datatype)}`,
    );
  }
  if (shape === undefined) {
    if (!isNpyUri(uri)) {
      throw invalidInput(
        `input '${name}': uri '${uri}' is raw bytes (not a .npy), so "shape" is needed; give it, or name a .npy object`,
      );
    }
    return { datatype: datatype ?? expected, shape: [], data: new Uint8Array(0), ref: { uri, shaped: false } };
  }
  const envelope = readEnvelope(name, { datatype: datatype ?? expected, shape });
  return { ...envelope, data: new Uint8Array(0), ref: { uri, shaped: true } };
}

/**
 * Where a request's outputs go rides in the entry's tensor map under this name, which no model
 * input can have, so the stream entry's fields (and the queue scripts' contract) stay as they
 * are: its URI is the request's output_uri, or '' for a request whose protocol cannot answer
 * outputs by URI (TF Serving's, the Open Inference Protocol's): its outputs stay inline. Absent
 * (Alto's own API, JSON or msgpack): inline, or the workers' default output root when large.
 */
export const OUTPUT_URI_ENTRY = '\u0000output_uri';

/** `inputs` with where their outputs may go (see OUTPUT_URI_ENTRY), for the queue. */
export function withOutputUri(inputs: TensorMap, outputUri: string | undefined, byReference = true): TensorMap {
  if (outputUri === undefined && byReference) return inputs;
  const out: TensorMap = new Map(inputs);
  out.set(OUTPUT_URI_ENTRY, {
    datatype: 'UINT8',
    shape: [],
    data: new Uint8Array(0),
    ref: { uri: outputUri ?? '', shaped: false },
  });
  return out;
}

/** What a queued request's entry holds (see withOutputUri). */
export interface EntryTensors {
  /** The model's inputs. */
  inputs: TensorMap;
  /** The request's output_uri. */
  outputUri: string | undefined;
  /** Whether its outputs may be answered by URI (so moved to the default output root). */
  byReference: boolean;
}

export function splitOutputUri(entry: TensorMap): EntryTensors {
  const target = entry.get(OUTPUT_URI_ENTRY);
  if (!target) return { inputs: entry, outputUri: undefined, byReference: true };
  const inputs: TensorMap = new Map(entry);
  inputs.delete(OUTPUT_URI_ENTRY);
  const outputUri = target.ref?.uri || undefined;
  return { inputs, outputUri, byReference: outputUri !== undefined };
}

/** Checks a tensor's shape against a declared one (a request's, for a .npy it named). */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
