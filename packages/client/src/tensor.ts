// Tensors as TypedArrays: which array each datatype takes, the checks of a tensor before it
// is sent (datatype against array type, shape against element count), and the conversions
// to and from the wire (little-endian bytes, b64, JSON `data`). FP16 travels as its raw bits
// in a Uint16Array; BOOL as 0/1 in a Uint8Array; INT64/UINT64 in BigInt64Array/BigUint64Array.
import { decodeBase64, encodeBase64 } from './base64.ts';
import { AltoError, invalidInput } from './errors.ts';
import { DATATYPES, type Datatype, type InputTensorJson, type OutputTensorJson } from './types.ts';

export type TypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** The TypedArray class each datatype is carried in. */
export interface ArrayOf {
  BOOL: Uint8Array;
  UINT8: Uint8Array;
  INT8: Int8Array;
  UINT16: Uint16Array;
  INT16: Int16Array;
  UINT32: Uint32Array;
  INT32: Int32Array;
  UINT64: BigUint64Array;
  INT64: BigInt64Array;
  FP16: Uint16Array;
  FP32: Float32Array;
  FP64: Float64Array;
}

/** A tensor: row-major `data` of `shape` (every dim's actual size; their product is data.length). */
export interface Tensor<D extends Datatype = Datatype> {
  datatype: D;
  shape: number[];
  data: ArrayOf[D];
}

type Ctor = { new (n: number): TypedArray; new (b: ArrayBuffer): TypedArray; BYTES_PER_ELEMENT: number; name: string };

const CTOR: Record<Datatype, Ctor> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  INT8: Int8Array,
  UINT16: Uint16Array,
  INT16: Int16Array,
  UINT32: Uint32Array,
  INT32: Int32Array,
  UINT64: BigUint64Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
};

/** The datatype an array implies when none is given (Uint8Array → UINT8, Uint16Array → UINT16). */
const IMPLIED: [Ctor, Datatype][] = [
  [Float32Array, 'FP32'],
  [Float64Array, 'FP64'],
  [Int32Array, 'INT32'],
  [BigInt64Array, 'INT64'],
  [Uint8Array, 'UINT8'],
  [Int8Array, 'INT8'],
  [Uint16Array, 'UINT16'],
  [Int16Array, 'INT16'],
  [Uint32Array, 'UINT32'],
  [BigUint64Array, 'UINT64'],
];

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const typeName = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : ArrayBuffer.isView(v) ? v.constructor.name : typeof v;

export const isTypedArray = (v: unknown): v is TypedArray => ArrayBuffer.isView(v) && !(v instanceof DataView);

/**
 * A checked tensor: `datatype` defaults to the one `data`'s class implies. Throws AltoError
 * `invalid_input` (status null) naming `name` when the array does not fit the datatype or the
 * shape does not hold data.length elements.
 */
export function tensor<A extends TypedArray>(data: A, shape: readonly number[], datatype?: Datatype, name = 'tensor') {
  const where = name === 'tensor' ? 'tensor' : `input '${name}'`;
  if (!isTypedArray(data)) throw invalidInput(`${where}: expected a TypedArray as data, got ${typeName(data)}`);
  let dt = datatype;
  if (dt === undefined) {
    dt = IMPLIED.find(([c]) => data instanceof c)?.[1];
    if (dt === undefined) throw invalidInput(`${where}: no datatype is implied by ${data.constructor.name}`);
  } else if (!(DATATYPES as readonly string[]).includes(dt)) {
    throw invalidInput(`${where}: expected a datatype of ${DATATYPES.join(', ')}, got ${JSON.stringify(dt)}`);
  }
  const want = CTOR[dt];
  if (!(data instanceof want)) {
    throw invalidInput(`${where}: datatype ${dt} takes a ${want.name}, got ${data.constructor.name}`);
  }
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw invalidInput(`${where}: expected shape as non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw invalidInput(
      `${where}: shape ${JSON.stringify(shape)} holds ${count} elements, got ${data.length} in ${data.constructor.name}`,
    );
  }
  return { datatype: dt, shape: [...shape], data } as Tensor;
}

/** The little-endian bytes of a tensor's data (a view when the host is little-endian). */
export function tensorBytes(t: Tensor): Uint8Array {
  const view = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return LITTLE_ENDIAN ? view : swapped(view, t.data.BYTES_PER_ELEMENT);
}

function swapped(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j]!;
  return out;
}

/** A request tensor as JSON with `b64`: exact for every datatype (NaN, INT64 past 2^53). */
export const tensorToJson = (t: Tensor): InputTensorJson => ({
  datatype: t.datatype,
  shape: t.shape,
  b64: encodeBase64(tensorBytes(t)),
});

/** A tensor over little-endian `bytes` (copied, so the array is aligned and owns its buffer). */
export function tensorFromBytes(datatype: Datatype, shape: number[], bytes: Uint8Array, what: string): Tensor {
  const ctor = CTOR[datatype];
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== count * ctor.BYTES_PER_ELEMENT) {
    throw new AltoError(
      'invalid_response',
      `${what}: shape ${JSON.stringify(shape)} of ${datatype} needs ${count * ctor.BYTES_PER_ELEMENT} bytes, got ${bytes.length}`,
    );
  }
  const own = LITTLE_ENDIAN ? bytes.slice() : swapped(bytes, ctor.BYTES_PER_ELEMENT);
  return { datatype, shape, data: new ctor(own.buffer as ArrayBuffer) } as Tensor;
}

/** A tensor from JSON `data` (flat, row-major; null is NaN). */
function tensorFromValues(datatype: Datatype, shape: number[], values: unknown[], what: string): Tensor {
  const count = shape.reduce((a, b) => a * b, 1);
  if (values.length !== count) {
    throw new AltoError(
      'invalid_response',
      `${what}: shape ${JSON.stringify(shape)} holds ${count}, got ${values.length} values`,
    );
  }
  const out = new CTOR[datatype](count);
  const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
  for (let i = 0; i < count; i++) {
    const v = values[i];
    const n = v === null ? NaN : typeof v === 'boolean' ? Number(v) : (v as number);
    if (big) (out as BigInt64Array)[i] = BigInt(n);
    else out[i] = datatype === 'FP16' ? toHalfBits(n) : n;
  }
  return { datatype, shape, data: out } as Tensor;
}

/** A response tensor, in either of its JSON forms, as a TypedArray tensor. */
export function decodeOutput(name: string, t: OutputTensorJson): Tensor {
  const what = `output '${name}'`;
  if ('uri' in t) {
    throw new AltoError('invalid_response', `${what} was written to ${t.uri} (output_uri); read that object instead`);
  }
  if ('b64' in t) {
    let bytes: Uint8Array;
    try {
      bytes = decodeBase64(t.b64, what);
    } catch (err) {
      throw new AltoError('invalid_response', (err as Error).message);
    }
    return tensorFromBytes(t.datatype, t.shape, bytes, what);
  }
  return tensorFromValues(t.datatype, t.shape, t.data, what);
}

/** IEEE 754 half-precision bits of a number (round to nearest even). */
export function toHalfBits(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa rounds up into the exponent, as it should.
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}
