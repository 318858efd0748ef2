// Request and response tensors: KServe-v2-style JSON (`data`, flat or nested, row-major) or
// base64 of little-endian row-major bytes (`b64`), decoded into raw bytes for the queue.
// Every failure names the input and shows what was expected and what was given.
import type { AltoError } from './errors.ts';
import { invalidInput } from './errors.ts';
import { DATATYPE_INFO, DATATYPES, isDatatype, type Datatype } from './datatypes.ts';
import { fromHalf, toHalf } from './fp16.ts';
import { RAW } from './binary-body.ts';
import { decodeBase64, strictFromString } from './base64.ts';
import { B64_TEXT } from './json-body.ts';
import type { TensorRef } from './tensor-ref.ts';
import { DEFAULT_BYTES_LIMITS, bytesStrings, checkBytes, packStrings, type BytesLimits } from './bytes.ts';

/**
 * A decoded tensor: raw little-endian row-major bytes; for BYTES, the length-prefixed
 * elements (bytes.ts).
 */
export interface Tensor {
  datatype: Datatype;
  shape: number[];
  data: Uint8Array;
  /** Set when the bytes are in an object instead (`data` is then empty): see tensor-ref.ts. */
  ref?: TensorRef;
}

export interface TensorJson {
  datatype: Datatype;
  shape: number[];
  data?: number[] | boolean[] | string[];
  b64?: string;
  /** The object holding the tensor (a .npy) instead of `data`/`b64`: see tensor-ref.ts. */
  uri?: string;
}

export type ResponseFormat = 'json' | 'b64';

export const fmtShape = (shape: readonly (number | string)[]) => `[${shape.join(',')}]`;

const describe = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  if (typeof v === 'object') return 'an object';
  return String(v);
};

/** Product of dims; throws when it is not a safe integer (absurd shapes). */
export function elementCount(name: string, shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  if (!Number.isSafeInteger(n)) throw invalidInput(`input '${name}': shape ${fmtShape(shape)} has too many elements`);
  return n;
}

/** Checks the tensor's envelope: an object with a known datatype and a concrete shape. */
export function readEnvelope(name: string, value: unknown): { datatype: Datatype; shape: number[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidInput(
      `input '${name}': expected a tensor object {"datatype", "shape", "data" | "b64"}, got ${describe(value)}`,
    );
  }
  const { datatype, shape } = value as Record<string, unknown>;
  if (!isDatatype(datatype)) {
    throw invalidInput(`input '${name}': datatype must be one of ${DATATYPES.join(', ')}, got ${describe(datatype)}`);
  }
  if (!Array.isArray(shape))
    throw invalidInput(`input '${name}': shape must be an array of integers, got ${describe(shape)}`);
  shape.forEach((d: unknown, i) => {
    if (d === -1) {
      throw invalidInput(
        `input '${name}': shape ${fmtShape(shape)} has -1 at dim ${i}; a request gives every dimension's actual size`,
      );
    }
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw invalidInput(`input '${name}': shape dim ${i} must be a non-negative integer, got ${describe(d)}`);
    }
  });
  return { datatype, shape: shape as number[] };
}

/** How BYTES inputs are checked. */
export interface BytesOptions {
  /** @default DEFAULT_BYTES_LIMITS */
  limits?: BytesLimits;
  /** Every element must be UTF-8: the model declares the input as text. */
  text?: boolean;
}

/**
 * Decodes the payload (`data`, `b64`, or the bytes of a binary body) of a tensor whose
 * envelope passed readEnvelope.
 */
export function decodeTensor(
  name: string,
  value: Record<string, unknown>,
  datatype: Datatype,
  shape: number[],
  bytes: BytesOptions = {},
): Tensor {
  const { data, b64 } = value;
  const raw = (value as { [RAW]?: Buffer })[RAW];
  const count = elementCount(name, shape);
  const size = DATATYPE_INFO[datatype].size;
  if ([data, b64, raw].filter((v) => v !== undefined).length !== 1) {
    throw invalidInput(`input '${name}': give exactly one of "data", "b64" or "binary_data_size"`);
  }
  if (datatype === 'BYTES') return decodeBytesTensor(name, value, shape, count, bytes);
  if (raw !== undefined) {
    if (raw.length !== count * size) {
      throw invalidInput(
        `input '${name}': binary_data_size is ${raw.length} bytes, shape ${fmtShape(shape)} of ${datatype} needs ${count * size}`,
      );
    }
    return { datatype, shape, data: new Uint8Array(raw.buffer, raw.byteOffset, raw.length) };
  }
  if (b64 !== undefined) {
    const bytes = base64Of(value, b64);
    if (!bytes)
      throw invalidInput(`input '${name}': b64 must be a base64 string (standard or URL-safe alphabet, padded with =)`);
    if (bytes.length !== count * size) {
      throw invalidInput(
        `input '${name}': b64 decodes to ${bytes.length} bytes, shape ${fmtShape(shape)} of ${datatype} needs ${count * size}`,
      );
    }
    return { datatype, shape, data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) };
  }
  if (!Array.isArray(data)) throw invalidInput(`input '${name}': data must be an array, got ${describe(data)}`);
  const flat = flatten(name, data, shape, count);
  return { datatype, shape, data: pack(name, datatype, flat) };
}

function decodeBytesTensor(
  name: string,
  value: Record<string, unknown>,
  shape: number[],
  count: number,
  options: BytesOptions,
): Tensor {
  const { data, b64 } = value;
  const raw = (value as { [RAW]?: Buffer })[RAW];
  const check = { count, limits: options.limits ?? DEFAULT_BYTES_LIMITS, text: options.text ?? false };
  let bytes: Uint8Array | undefined;
  if (raw !== undefined) {
    bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
    checkBytes(name, bytes, { ...check, from: 'binary_data_size' });
  } else if (b64 !== undefined) {
    const decoded = base64Of(value, b64);
    if (!decoded)
      throw invalidInput(`input '${name}': b64 must be a base64 string (standard or URL-safe alphabet, padded with =)`);
    bytes = new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.length);
    checkBytes(name, bytes, { ...check, from: 'b64' });
  } else {
    if (!Array.isArray(data)) throw invalidInput(`input '${name}': data must be an array, got ${describe(data)}`);
    bytes = packStrings(name, flatten(name, data, shape, count), { ...check, from: 'data' }, describe);
  }
  return { datatype: 'BYTES', shape, data: bytes };
}

/** The bytes of a tensor's `b64`: its string, or the body's text parseJsonBody lifted out. */
function base64Of(value: Record<string, unknown>, b64: unknown): Buffer | undefined {
  const lifted = (value as { [B64_TEXT]?: Buffer })[B64_TEXT];
  if (lifted) return decodeBase64(lifted);
  return typeof b64 === 'string' ? strictFromString(b64) : undefined;
}

function flatten(name: string, data: unknown[], shape: number[], count: number): unknown[] {
  const nested = data.length > 0 && Array.isArray(data[0]);
  if (!nested) {
    if (data.length !== count) {
      throw invalidInput(`input '${name}': data has ${data.length} elements, shape ${fmtShape(shape)} needs ${count}`);
    }
    return data;
  }
  const out: unknown[] = [];
  const walk = (node: unknown, depth: number, path: number[]): void => {
    const where = path.length ? `data[${path.join('][')}]` : 'data';
    if (depth === shape.length) {
      if (Array.isArray(node)) {
        throw invalidInput(`input '${name}': ${where} is nested deeper than shape ${fmtShape(shape)} allows`);
      }
      out.push(node);
      return;
    }
    if (!Array.isArray(node)) {
      throw invalidInput(
        `input '${name}': ${where} should be an array of ${shape[depth]} for shape ${fmtShape(shape)}, got ${describe(node)}`,
      );
    }
    if (node.length !== shape[depth]) {
      throw invalidInput(
        `input '${name}': ${where} has ${node.length} elements, shape ${fmtShape(shape)} needs ${shape[depth]} there`,
      );
    }
    node.forEach((child, i) => walk(child, depth + 1, [...path, i]));
  };
  walk(data, 0, []);
  return out;
}

function pack(name: string, datatype: Datatype, values: unknown[]): Uint8Array {
  const info = DATATYPE_INFO[datatype];
  const buffer = new ArrayBuffer(values.length * info.size);
  const bad = (i: number, want: string): AltoError =>
    invalidInput(`input '${name}': data element ${i} is ${describe(values[i])}, expected ${want} for ${datatype}`);
  if (datatype === 'BOOL') {
    const out = new Uint8Array(buffer);
    values.forEach((v, i) => {
      if (typeof v !== 'boolean') throw bad(i, 'true or false');
      out[i] = v ? 1 : 0;
    });
    return out;
  }
  if (info.range) {
    const [lo, hi] = info.range;
    const out = typedArray(datatype, buffer);
    const big = datatype === 'INT64' || datatype === 'UINT64';
    values.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(i, 'an integer');
      if (v < lo || v > hi) throw bad(i, `an integer in [${lo}, ${hi}]`);
      out[i] = big ? BigInt(v) : v;
    });
    return new Uint8Array(buffer);
  }
  const out = datatype === 'FP16' ? new Uint16Array(buffer) : typedArray(datatype, buffer);
  values.forEach((v, i) => {
    if (typeof v !== 'number') throw bad(i, 'a number');
    out[i] = datatype === 'FP16' ? toHalf(v) : v;
  });
  return new Uint8Array(buffer);
}

type Writable = { [i: number]: number | bigint; length: number };

function typedArray(datatype: Datatype, buffer: ArrayBuffer, offset = 0, length?: number): Writable {
  switch (datatype) {
    case 'BOOL':
    case 'UINT8':
      return new Uint8Array(buffer, offset, length);
    case 'INT8':
      return new Int8Array(buffer, offset, length);
    case 'UINT16':
    case 'FP16':
      return new Uint16Array(buffer, offset, length);
    case 'INT16':
      return new Int16Array(buffer, offset, length);
    case 'UINT32':
      return new Uint32Array(buffer, offset, length);
    case 'INT32':
      return new Int32Array(buffer, offset, length);
    case 'UINT64':
      return new BigUint64Array(buffer, offset, length) as unknown as Writable;
    case 'INT64':
      return new BigInt64Array(buffer, offset, length) as unknown as Writable;
    case 'FP32':
      return new Float32Array(buffer, offset, length);
    case 'FP64':
      return new Float64Array(buffer, offset, length);
    case 'BYTES':
      throw new Error('BYTES elements vary in length; they have no typed array (see bytes.ts)');
    default: {
      const unhandled: never = datatype;
      throw new Error(`unhandled datatype ${String(unhandled)}`);
    }
  }
}

/**
 * Reads raw bytes as JS values (numbers, booleans; strings for BYTES) in row-major order.
 * A BYTES element that is not UTF-8 cannot be a JSON string: that throws (see hasTextValues).
 */
export function tensorValues(t: Tensor): number[] | boolean[] | string[] {
  if (t.datatype === 'BYTES') {
    const strings = bytesStrings(t.data);
    if (!strings) throw new Error('BYTES tensor holds an element that is not UTF-8; render it as bytes');
    return strings;
  }
  const size = DATATYPE_INFO[t.datatype].size;
  const count = t.data.byteLength / size;
  // Copy so that the view is aligned whatever the source buffer's offset.
  const aligned = t.data.byteOffset % 8 === 0 ? t.data : t.data.slice();
  const view = typedArray(t.datatype, aligned.buffer as ArrayBuffer, aligned.byteOffset, count);
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const v = view[i]!;
    out[i] = t.datatype === 'BOOL' ? v !== 0 : t.datatype === 'FP16' ? fromHalf(v as number) : Number(v);
  }
  return out;
}

/** Whether tensorValues can render the tensor as JSON values (false for BYTES that are not all UTF-8). */
export const hasTextValues = (t: Tensor): boolean => t.datatype !== 'BYTES' || bytesStrings(t.data) !== undefined;

/**
 * Renders a tensor for a response: flat row-major `data`, or `b64` when asked for. A BYTES
 * tensor with an element that is not UTF-8 comes as `b64` (its length-prefixed layout) either way.
 */
export function tensorToJson(t: Tensor, format: ResponseFormat): TensorJson {
  if (t.ref) return { datatype: t.datatype, shape: t.shape, uri: t.ref.uri };
  if (format === 'b64' || !hasTextValues(t)) {
    return {
      datatype: t.datatype,
      shape: t.shape,
      b64: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64'),
    };
  }
  return { datatype: t.datatype, shape: t.shape, data: tensorValues(t) };
}
