// BYTES: the length-prefixed layout, its checks, and BYTES tensors through decodeTensor,
// tensorToJson and the stored record, against bytes written out by hand here.
import { describe, expect, it } from 'vitest';
import { bytesElements, bytesStrings, checkBytes, encodeBytes, DEFAULT_BYTES_LIMITS } from './bytes.ts';
import { RAW } from './binary-body.ts';
import { decodeTensors, encodeTensors } from './tensor-codec.ts';
import { decodeTensor, tensorToJson } from './tensor.ts';

/** 'ab', '', 'é' in the layout, by hand. */
const HAND = new Uint8Array([2, 0, 0, 0, 0x61, 0x62, 0, 0, 0, 0, 2, 0, 0, 0, 0xc3, 0xa9]);
const check = { count: 3, limits: DEFAULT_BYTES_LIMITS, from: 'b64' };
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('the length-prefixed layout', () => {
  it('encodes each element as a u32 little-endian length, then its bytes', () => {
    expect([...encodeBytes(['ab', '', 'é'])]).toEqual([...HAND]);
    expect(bytesElements(HAND).map((e) => [...e])).toEqual([[0x61, 0x62], [], [0xc3, 0xa9]]);
    expect(bytesStrings(HAND)).toEqual(['ab', '', 'é']);
    expect(bytesStrings(encodeBytes([new Uint8Array([0xff])]))).toBeUndefined();
  });

  it('checks the element count, overruns, trailing bytes and the limits, naming the input', () => {
    expect(() => checkBytes('s', HAND, check)).not.toThrow();
    expect(() => checkBytes('s', HAND, { ...check, count: 4 })).toThrow(
      "input 's': b64 holds 3 length-prefixed BYTES elements, the shape needs 4",
    );
    expect(() => checkBytes('s', HAND, { ...check, count: 2 })).toThrow(
      "input 's': b64 has 6 bytes after the 2 elements the shape needs",
    );
    expect(() => checkBytes('s', HAND.subarray(0, 5), { ...check, count: 1 })).toThrow(
      "input 's': b64 element 0 declares 2 bytes, only 1 follow",
    );
    const limits = { elementMaxBytes: 1, totalMaxBytes: 100 };
    expect(() => checkBytes('s', HAND, { ...check, limits })).toThrow(
      "input 's': element 0 is 2 bytes, more than the limit of 1",
    );
    expect(() => checkBytes('s', HAND, { ...check, limits: { elementMaxBytes: 9, totalMaxBytes: 3 } })).toThrow(
      "input 's': BYTES elements total 4 bytes, more than the limit of 3",
    );
    const latin1 = encodeBytes([new Uint8Array([0xe9])]);
    expect(() => checkBytes('s', latin1, { ...check, count: 1 })).not.toThrow();
    expect(() => checkBytes('s', latin1, { ...check, count: 1, text: true })).toThrow(
      "input 's': element 0 is not valid UTF-8; the model takes text",
    );
  });
});

describe('BYTES tensors', () => {
  it('decodes JSON strings (flat or nested), b64 and raw bytes to the same layout', () => {
    const flat = decodeTensor('s', { data: ['ab', '', 'é'] }, 'BYTES', [3]);
    expect([...flat.data]).toEqual([...HAND]);
    const nested = decodeTensor('s', { data: [['ab'], [''], ['é']] }, 'BYTES', [3, 1]);
    expect([...nested.data]).toEqual([...HAND]);
    expect([...decodeTensor('s', { b64: b64(HAND) }, 'BYTES', [3]).data]).toEqual([...HAND]);
    expect([...decodeTensor('s', { [RAW]: Buffer.from(HAND) }, 'BYTES', [3]).data]).toEqual([...HAND]);
  });

  it('refuses a non-string element and applies the limits given', () => {
    expect(() => decodeTensor('s', { data: ['a', 1] }, 'BYTES', [2])).toThrow(
      "input 's': data element 1 is 1, expected a string for BYTES",
    );
    const limits = { elementMaxBytes: 2, totalMaxBytes: 10 };
    expect(() => decodeTensor('s', { data: ['abc'] }, 'BYTES', [1], { limits })).toThrow(
      "input 's': element 0 is 3 bytes, more than the limit of 2",
    );
    expect(() => decodeTensor('s', { data: ['a'] }, 'BYTES', [2])).toThrow(
      "input 's': data has 1 elements, shape [2] needs 2",
    );
  });

  it('renders strings as data, and as b64 when an element is not UTF-8', () => {
    const t = { datatype: 'BYTES' as const, shape: [3], data: HAND };
    expect(tensorToJson(t, 'json')).toEqual({ datatype: 'BYTES', shape: [3], data: ['ab', '', 'é'] });
    expect(tensorToJson(t, 'b64')).toEqual({ datatype: 'BYTES', shape: [3], b64: b64(HAND) });
    const binary = { datatype: 'BYTES' as const, shape: [1], data: encodeBytes([new Uint8Array([0xff, 0])]) };
    expect(tensorToJson(binary, 'json')).toEqual({ datatype: 'BYTES', shape: [1], b64: 'AgAAAP8A' });
  });

  it('round-trips through the stored tensor record', () => {
    const map = new Map([['s', { datatype: 'BYTES' as const, shape: [3], data: HAND }]]);
    const back = decodeTensors(encodeTensors(map)).get('s')!;
    expect(back.datatype).toBe('BYTES');
    expect([...back.data]).toEqual([...HAND]);
  });
});
