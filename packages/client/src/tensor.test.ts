import { parseBinaryBody } from '@alto/protocol';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from './base64.ts';
import { encodeRequest } from './body.ts';
import { AltoError } from './errors.ts';
import { decodeOutput, tensor, toHalfBits } from './tensor.ts';

const refused = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AltoError);
    expect((err as AltoError).code).toBe('invalid_input');
    expect((err as AltoError).status).toBeNull();
    return (err as AltoError).message;
  }
  throw new Error('not refused');
};

describe('tensor', () => {
  it('implies the datatype from the array class and keeps an explicit one that fits', () => {
    expect(tensor(new Float32Array(6), [2, 3]).datatype).toBe('FP32');
    expect(tensor(new BigInt64Array(2), [2]).datatype).toBe('INT64');
    expect(tensor(new Uint8Array(2), [2], 'BOOL').datatype).toBe('BOOL');
    expect(tensor(new Uint16Array(2), [1, 2], 'FP16').datatype).toBe('FP16');
  });

  it('refuses a shape that does not hold the elements, naming both counts', () => {
    expect(refused(() => tensor(new Float32Array(5), [2, 3], undefined, 'x'))).toBe(
      "input 'x': shape [2,3] holds 6 elements, got 5 in Float32Array",
    );
    expect(refused(() => tensor(new Float32Array(1), [-1]))).toContain('non-negative integers, got [-1]');
  });

  it('refuses an array of the wrong class for the datatype', () => {
    expect(refused(() => tensor(new Float64Array(2), [2], 'INT64', 'ids'))).toBe(
      "input 'ids': datatype INT64 takes a BigInt64Array, got Float64Array",
    );
    expect(refused(() => tensor([1, 2] as never, [2]))).toContain('expected a TypedArray as data, got an array');
  });

  it('decodes b64 and JSON data outputs into the same TypedArray', () => {
    const values = new Float32Array([1.5, -2, NaN, 3.25]);
    const bytes = new Uint8Array(values.buffer);
    const fromB64 = decodeOutput('y', { datatype: 'FP32', shape: [2, 2], b64: Buffer.from(bytes).toString('base64') });
    const fromJson = decodeOutput('y', { datatype: 'FP32', shape: [2, 2], data: [1.5, -2, null, 3.25] });
    expect(fromB64.data).toEqual(values);
    expect(fromJson.data).toEqual(values);
    const big = decodeOutput('n', { datatype: 'INT64', shape: [2], data: [-3, 2 ** 40] });
    expect(big.data).toEqual(new BigInt64Array([-3n, 2n ** 40n]));
  });

  it('refuses an output whose bytes do not fill its shape', () => {
    const bad = { datatype: 'FP32' as const, shape: [3], b64: Buffer.from(new Uint8Array(8)).toString('base64') };
    expect(() => decodeOutput('y', bad)).toThrow("output 'y': shape [3] of FP32 needs 12 bytes, got 8");
  });
});

describe('base64', () => {
  it('matches Node for every length mod 3, both ways, and takes the URL-safe alphabet', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 1000, 100_001]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 7919 + n) & 0xff);
      const b64 = Buffer.from(bytes).toString('base64');
      expect(encodeBase64(bytes)).toBe(b64);
      expect(decodeBase64(b64, 't')).toEqual(bytes);
      expect(decodeBase64(Buffer.from(bytes).toString('base64url'), 't')).toEqual(bytes);
    }
    expect(() => decodeBase64('ab$d', 'x')).toThrow('x: not base64 (character "$" at 2)');
  });
});

describe('toHalfBits', () => {
  it('rounds like a float16 conversion, specials included', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65520, 0x7c00],
      [Infinity, 0x7c00],
      [5.960464477539063e-8, 0x0001],
      [0.333251953125, 0x3555],
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
    ];
    for (const [v, bits] of cases) expect([v, toHalfBits(v)]).toEqual([v, bits]);
    expect(toHalfBits(NaN) & 0x7c00).toBe(0x7c00);
    expect(toHalfBits(NaN) & 0x3ff).not.toBe(0);
  });
});

describe('encodeRequest', () => {
  const x = Float32Array.from({ length: 64 }, (_, i) => i / 8);

  it('sends small TypedArrays as exact b64 inside JSON and JSON tensors as given', () => {
    const { body, headers } = encodeRequest(
      { x: { shape: [1, 64], data: x }, m: { datatype: 'INT8', shape: [2], data: [1, -1] } },
      { priority: 'high' },
      1 << 16,
    );
    expect(headers['content-type']).toBe('application/json');
    const json = JSON.parse(body as string);
    expect(json.priority).toBe('high');
    expect(json.input.m).toEqual({ datatype: 'INT8', shape: [2], data: [1, -1] });
    expect(new Float32Array(Uint8Array.from(Buffer.from(json.input.x.b64, 'base64')).buffer)).toEqual(x);
  });

  it('sends a binary body the gateway parses back into the same bytes, in input order', () => {
    const ids = new BigInt64Array([1n, -(2n ** 60n)]);
    const { body, headers } = encodeRequest(
      { x: { shape: [1, 64], data: x }, ids: { shape: [2], data: ids } },
      { response_format: 'b64' },
      16,
    );
    expect(headers['content-type']).toBe('application/octet-stream');
    const parsed = parseBinaryBody(Buffer.from(body as Uint8Array), headers['inference-header-content-length']) as any;
    expect(parsed.response_format).toBe('b64');
    expect(parsed.input.x).toMatchObject({ datatype: 'FP32', shape: [1, 64] });
    // parseBinaryBody attaches each tensor's bytes under a symbol key.
    const raw = (t: object) => new Uint8Array((t as any)[Object.getOwnPropertySymbols(t)[0]!]);
    expect(raw(parsed.input.x)).toEqual(new Uint8Array(x.buffer));
    expect(raw(parsed.input.ids)).toEqual(new Uint8Array(ids.buffer));
  });

  it('checks every tensor before anything is built', () => {
    expect(refused(() => encodeRequest({ x: { shape: [2, 64], data: x } }, {}, 16))).toContain(
      "input 'x': shape [2,64] holds 128 elements, got 64",
    );
  });
});

describe('BYTES', () => {
  // 'ab', 'é', and the byte 0xff, each after its u32 little-endian length, by hand.
  const layout = new Uint8Array([2, 0, 0, 0, 0x61, 0x62, 2, 0, 0, 0, 0xc3, 0xa9, 1, 0, 0, 0, 0xff]);

  it('decodes outputs from data strings and from b64 of the length-prefixed layout', () => {
    expect(decodeOutput('out', { datatype: 'BYTES', shape: [2], data: ['p', 'q'] }).data).toEqual(['p', 'q']);
    const t = decodeOutput('out', { datatype: 'BYTES', shape: [3], b64: encodeBase64(layout) });
    expect(t.data).toEqual(['ab', 'é', new Uint8Array([0xff])]);
  });

  it('sends BYTES inputs as JSON strings and refuses a TypedArray for them', () => {
    const body = encodeRequest({ s: { datatype: 'BYTES', shape: [2], data: ['a', 'b'] } }, {}, 1 << 16);
    expect(JSON.parse(body.body as string).input.s).toEqual({ datatype: 'BYTES', shape: [2], data: ['a', 'b'] });
    expect(refused(() => tensor(new Uint8Array(3), [3], 'BYTES', 's'))).toMatch(/^input 's': BYTES takes strings/);
  });
});
