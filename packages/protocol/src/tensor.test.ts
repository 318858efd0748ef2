import { describe, expect, it } from 'vitest';
import { decodeTensor, readEnvelope, tensorToJson, tensorValues } from './tensor.ts';
import { decodeTensors, encodeTensors } from './tensor-codec.ts';
import { fromHalf, toHalf } from './fp16.ts';

const decode = (value: Record<string, unknown>) => {
  const { datatype, shape } = readEnvelope('x', value);
  return decodeTensor('x', value, datatype, shape);
};

describe('tensor decoding', () => {
  it('reads flat and nested data into the same row-major bytes', () => {
    const flat = decode({ datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] });
    const nested = decode({
      datatype: 'FP32',
      shape: [2, 3],
      data: [
        [1, 2, 3],
        [4, 5, 6],
      ],
    });
    expect(Buffer.from(nested.data)).toEqual(Buffer.from(flat.data));
    expect(Array.from(new Float32Array(flat.data.buffer))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads b64 as little-endian bytes', () => {
    const bytes = Buffer.from(new Int32Array([7, -8]).buffer);
    const t = decode({ datatype: 'INT32', shape: [2], b64: bytes.toString('base64') });
    expect(tensorValues(t)).toEqual([7, -8]);
  });

  it('stores INT64 as 8-byte integers and renders them back as numbers', () => {
    const t = decode({ datatype: 'INT64', shape: [2], data: [2 ** 40, -3] });
    expect(t.data.byteLength).toBe(16);
    expect(tensorToJson(t, 'json').data).toEqual([2 ** 40, -3]);
  });

  it('rejects nested data deeper than the shape', () => {
    expect(() => decode({ datatype: 'FP32', shape: [1, 2], data: [[[1], [2]]] })).toThrow(
      "input 'x': data[0][0] is nested deeper than shape [1,2] allows",
    );
  });

  it('rejects a non-numeric element naming its index and the datatype', () => {
    expect(() => decode({ datatype: 'FP32', shape: [2], data: [1, 'a'] })).toThrow(
      `input 'x': data element 1 is "a", expected a number for FP32`,
    );
  });

  it('rejects a non-integer for an integer datatype', () => {
    expect(() => decode({ datatype: 'UINT8', shape: [1], data: [1.5] })).toThrow(/expected an integer for UINT8/);
  });

  it('rejects malformed base64: bad characters, missing padding, padding inside', () => {
    for (const b64 of ['A!EC', 'AAE', 'AA=A', 'AA E', '====']) {
      expect(() => decode({ datatype: 'UINT8', shape: [2], b64 }), b64).toThrow(
        "input 'x': b64 must be a base64 string",
      );
    }
    expect(Array.from(decode({ datatype: 'UINT8', shape: [2], b64: 'AAE=' }).data)).toEqual([0, 1]);
  });

  it('rejects a shape with a negative or fractional dim', () => {
    expect(() => readEnvelope('x', { datatype: 'FP32', shape: [1, 2.5], data: [] })).toThrow(
      "input 'x': shape dim 1 must be a non-negative integer, got 2.5",
    );
  });
});

describe('FP16', () => {
  it('round-trips values exactly representable in half precision', () => {
    for (const v of [0, 1, -2, 0.5, 65504, 2 ** -24, -0.333251953125]) expect(fromHalf(toHalf(v))).toBe(v);
  });

  it('rounds to nearest and saturates to infinity past the range', () => {
    expect(fromHalf(toHalf(0.1))).toBeCloseTo(0.0999755859375, 10);
    expect(fromHalf(toHalf(1e6))).toBe(Infinity);
  });
});

describe('binary tensor codec', () => {
  it('round-trips a map of tensors of several datatypes', () => {
    const map = new Map([
      ['a', decode({ datatype: 'FP32', shape: [1, 2], data: [0.5, -1] })],
      ['b', decode({ datatype: 'BOOL', shape: [3], data: [true, false, true] })],
      ['long name ünïcode', decode({ datatype: 'INT64', shape: [0], data: [] })],
    ]);
    const back = decodeTensors(encodeTensors(map));
    expect([...back.keys()]).toEqual([...map.keys()]);
    for (const [name, t] of map) {
      expect(back.get(name)!.shape).toEqual(t.shape);
      expect(tensorValues(back.get(name)!)).toEqual(tensorValues(t));
    }
  });

  it('refuses a truncated record', () => {
    const buf = encodeTensors(new Map([['a', decode({ datatype: 'FP32', shape: [4], data: [1, 2, 3, 4] })]]));
    expect(() => decodeTensors(buf.subarray(0, buf.length - 1))).toThrow(/truncated/);
  });
});
