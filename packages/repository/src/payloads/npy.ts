// NumPy's .npy format (version 1.0, 2.0 and 3.0 headers): the file a request may name as an
// input by reference and the one a worker writes each output to. Little-endian C-order arrays
// of Alto's datatypes only; Fortran order, big-endian and object dtypes are refused by name.
// Pure: bytes in, bytes out (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
import { DATATYPE_INFO, type Datatype } from '@alto/protocol';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

/** NumPy's `descr` of each datatype (little-endian; '|' where byte order does not apply). */
export const NPY_DESCR: Record<Datatype, string> = {
  BOOL: '|b1',
  UINT8: '|u1',
  INT8: '|i1',
  UINT16: '<u2',
  INT16: '<i2',
  UINT32: '<u4',
  INT32: '<i4',
  UINT64: '<u8',
  INT64: '<i8',
  FP16: '<f2',
  FP32: '<f4',
  FP64: '<f8',
};

const BY_DESCR = new Map<string, Datatype>(
  Object.entries(NPY_DESCR).flatMap(([d, descr]) => {
    // A one-byte type may be spelled with any byte order mark.
    const alts = descr.startsWith('|') ? ['|', '<', '='].map((o) => o + descr.slice(1)) : [descr];
    return alts.map((a) => [a, d as Datatype] as const);
  }),
);

/** A .npy that is not one Alto can read; the message says what it is and what was expected. */
export class NpyError extends Error {
  override readonly name = 'NpyError';
}

export interface NpyArray {
  datatype: Datatype;
  shape: number[];
  /** Raw little-endian row-major bytes: a view into the file's bytes. */
  data: Uint8Array;
}

/** Whether `bytes` start with the .npy magic string. */
export const isNpy = (bytes: Uint8Array): boolean =>
  bytes.length >= MAGIC.length && Buffer.from(bytes.buffer, bytes.byteOffset, MAGIC.length).equals(MAGIC);

/** The array a .npy holds, without copying its data. Throws NpyError naming what is wrong. */
export function readNpy(bytes: Uint8Array, what = 'object'): NpyArray {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string) => new NpyError(`${what}: ${why}`);
  if (!isNpy(buf)) throw bad('not a .npy file (no \\x93NUMPY magic string)');
  if (buf.length < 10) throw bad('truncated .npy header');
  const major = buf[6]!;
  let headerLength: number;
  let start: number;
  if (major === 1) {
    headerLength = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw bad('truncated .npy header');
    headerLength = buf.readUInt32LE(8);
    start = 12;
  } else {
    throw bad(`.npy format version ${major}.${buf[7]} is not supported (expected 1.0, 2.0 or 3.0)`);
  }
  if (start + headerLength > buf.length) throw bad('truncated .npy header');
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLength);
  const { descr, fortran, shape } = parseHeader(header, bad);
  if (fortran) throw bad('Fortran-order arrays are not supported; save a C-order array (np.ascontiguousarray)');
  const datatype = BY_DESCR.get(descr);
  if (datatype === undefined) {
    const hint = descr.startsWith('>') ? ' (big-endian; save with .astype(dtype.newbyteorder("<")))' : '';
    throw bad(`dtype '${descr}'${hint} is not one Alto serves; expected one of ${Object.values(NPY_DESCR).join(', ')}`);
  }
  let count = 1;
  for (const d of shape) count *= d;
  const expected = count * DATATYPE_INFO[datatype].size;
  const data = buf.subarray(start + headerLength);
  if (data.length !== expected) {
    throw bad(`.npy data is ${data.length} bytes, shape [${shape.join(',')}] of ${descr} needs ${expected}`);
  }
  return { datatype, shape, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/**
 * Parses the header dict, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
 * Only the three keys NumPy writes, as Python literals of those types; nothing is evaluated.
 */
function parseHeader(
  text: string,
  bad: (why: string) => NpyError,
): { descr: string; fortran: boolean; shape: number[] } {
  const body = text.trim();
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(body)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(body)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(body)?.[1];
  if (!body.startsWith('{') || descr === undefined || fortran === undefined || shapeText === undefined) {
    if (/'descr'\s*:\s*\[/.test(body)) throw bad('structured (record) dtypes are not supported');
    throw bad(`unreadable .npy header ${JSON.stringify(body.slice(0, 120))}`);
  }
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const shape = dims.map((d) => {
    if (!/^\d+L?$/.test(d)) throw bad(`.npy shape (${shapeText}) is not a tuple of non-negative integers`);
    return Number(d.replace('L', ''));
  });
  return { descr, fortran: fortran === 'True', shape };
}

/** A .npy (version 1.0, or 2.0 when the header needs it) of a little-endian C-order array. */
export function writeNpy(a: { datatype: Datatype; shape: readonly number[]; data: Uint8Array }): Buffer {
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  const dict = `{'descr': '${NPY_DESCR[a.datatype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // The header (magic, version, length, dict, padding, '\n') is a multiple of 64 bytes.
  const padded = (prefix: number) => Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const v1 = padded(10) - 10 <= 0xffff;
  const prefix = v1 ? 10 : 12;
  const total = padded(prefix);
  const header = dict + ' '.repeat(total - prefix - dict.length - 1) + '\n';
  const out = Buffer.allocUnsafe(total + a.data.byteLength);
  MAGIC.copy(out, 0);
  out[6] = v1 ? 1 : 2;
  out[7] = 0;
  if (v1) out.writeUInt16LE(header.length, 8);
  else out.writeUInt32LE(header.length, 8);
  out.write(header, prefix, 'latin1');
  out.set(a.data, total);
  return out;
}
