// .npy reading and writing: every datatype round-trips, headers NumPy writes (v1.0, v2.0)
// are read, and what Alto cannot serve (Fortran order, big-endian, object and record dtypes,
// wrong lengths) is refused naming the problem. Bytes against NumPy itself: test/payloads.test.ts.
import { DATATYPES, DATATYPE_INFO } from '@alto/protocol';
import { describe, expect, it } from 'vitest';
import { NpyError, isNpy, readNpy, writeNpy } from './npy.ts';

/** A .npy with a hand-written header, padded the way NumPy pads it. */
function npy(dict: string, data: Uint8Array, major = 1): Buffer {
  const prefix = major === 1 ? 10 : 12;
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const header = dict + ' '.repeat(total - prefix - dict.length - 1) + '\n';
  const head = Buffer.alloc(prefix);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]).copy(head);
  if (major === 1) head.writeUInt16LE(header.length, 8);
  else head.writeUInt32LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}

describe('npy', () => {
  it.each(DATATYPES)('round-trips %s', (datatype) => {
    const shape = [2, 3];
    const data = new Uint8Array(6 * DATATYPE_INFO[datatype].size).map((_, i) => (i * 7) % 256);
    const file = writeNpy({ datatype, shape, data });
    expect(file.length % 64).toBe(data.length % 64);
    const back = readNpy(file);
    expect(back.datatype).toBe(datatype);
    expect(back.shape).toEqual(shape);
    expect(Buffer.from(back.data).equals(Buffer.from(data))).toBe(true);
  });

  it('writes the header NumPy writes: 64-byte aligned, a 1-tuple with its comma, a scalar as ()', () => {
    const one = writeNpy({ datatype: 'FP32', shape: [3], data: new Uint8Array(12) });
    const headerLength = one.readUInt16LE(8);
    expect((10 + headerLength) % 64).toBe(0);
    expect(one.toString('latin1', 10, 10 + headerLength)).toMatch(
      /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3,\), \} *\n$/,
    );
    expect(readNpy(writeNpy({ datatype: 'INT64', shape: [], data: new Uint8Array(8) })).shape).toEqual([]);
  });

  it('reads version 2.0 headers and one-byte types with any byte-order mark', () => {
    const a = readNpy(npy("{'descr': '<u1', 'fortran_order': False, 'shape': (4,), }", new Uint8Array(4), 2));
    expect(a).toMatchObject({ datatype: 'UINT8', shape: [4] });
    const b = readNpy(npy("{'descr': '|b1', 'fortran_order': False, 'shape': (1, 2), }", new Uint8Array(2)));
    expect(b).toMatchObject({ datatype: 'BOOL', shape: [1, 2] });
  });

  it.each([
    ['Fortran order', "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16, /Fortran-order/],
    ['big-endian', "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, /'>f4' \(big-endian/],
    ['an object dtype', "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16, /dtype '\|O' is not one/],
    ['a string dtype', "{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", 12, /dtype '<U3'/],
    ['a record dtype', "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", 4, /structured/],
    [
      'short data',
      "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
      8,
      /8 bytes, shape \[3\] of <f4 needs 12/,
    ],
    ['long data', "{'descr': '<i2', 'fortran_order': False, 'shape': (), }", 4, /4 bytes, shape \[\] of <i2 needs 2/],
    ['a negative dim', "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 4, /non-negative integers/],
  ])('refuses %s, saying why', (_what, dict, bytes, why) => {
    const file = npy(dict, new Uint8Array(bytes));
    expect(() => readNpy(file, 'gs://b/x.npy')).toThrow(NpyError);
    expect(() => readNpy(file, 'gs://b/x.npy')).toThrow(why);
    expect(() => readNpy(file, 'gs://b/x.npy')).toThrow(/^gs:\/\/b\/x\.npy: /);
  });

  it('refuses what is not a .npy at all', () => {
    expect(isNpy(Buffer.from('PK\u0003\u0004'))).toBe(false);
    expect(() => readNpy(Buffer.from('{"data": [1]}'))).toThrow(/not a \.npy file/);
    const future = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4));
    future[6] = 9;
    expect(() => readNpy(future)).toThrow(/version 9\.0 is not supported/);
  });
});
