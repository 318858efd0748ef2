// KServe v2 datatype names and how each maps onto ONNX Runtime tensor types and bytes.

export const DATATYPES = [
  'BOOL',
  'UINT8',
  'INT8',
  'UINT16',
  'INT16',
  'UINT32',
  'INT32',
  'UINT64',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  // Appended last: stored tensor records name a datatype by its index here.
  'BYTES',
] as const;

export type Datatype = (typeof DATATYPES)[number];

/** onnxruntime-common's `Tensor.Type` names for the datatypes above. */
export type OrtType =
  | 'bool'
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'uint32'
  | 'int32'
  | 'uint64'
  | 'int64'
  | 'float16'
  | 'float32'
  | 'float64'
  | 'string';

export interface DatatypeInfo {
  ort: OrtType;
  /**
   * Bytes per element; 0 for BYTES, whose elements vary in length and are carried in the
   * length-prefixed layout of bytes.ts instead.
   */
  size: number;
  /** Inclusive range of values a JSON number may take; undefined for floats and BOOL. */
  range?: readonly [number, number];
}

export const DATATYPE_INFO: Record<Datatype, DatatypeInfo> = {
  BOOL: { ort: 'bool', size: 1 },
  UINT8: { ort: 'uint8', size: 1, range: [0, 255] },
  INT8: { ort: 'int8', size: 1, range: [-128, 127] },
  UINT16: { ort: 'uint16', size: 2, range: [0, 65535] },
  INT16: { ort: 'int16', size: 2, range: [-32768, 32767] },
  UINT32: { ort: 'uint32', size: 4, range: [0, 4294967295] },
  INT32: { ort: 'int32', size: 4, range: [-2147483648, 2147483647] },
  UINT64: { ort: 'uint64', size: 8, range: [0, Number.MAX_SAFE_INTEGER] },
  INT64: { ort: 'int64', size: 8, range: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] },
  FP16: { ort: 'float16', size: 2 },
  FP32: { ort: 'float32', size: 4 },
  FP64: { ort: 'float64', size: 8 },
  BYTES: { ort: 'string', size: 0 },
};

const BY_ORT = new Map<string, Datatype>(DATATYPES.map((d) => [DATATYPE_INFO[d].ort, d]));

/** The KServe datatype of an ONNX Runtime tensor type, or undefined if Alto cannot serve it. */
export function datatypeOfOrt(ort: string): Datatype | undefined {
  return BY_ORT.get(ort);
}

export function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && (DATATYPES as readonly string[]).includes(value);
}

/** A model's tensor has a type Alto cannot carry (e.g. complex numbers): the model cannot be served. */
export class UnsupportedDatatypeError extends Error {
  readonly code = 'unsupported_datatype';

  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedDatatypeError';
  }
}
