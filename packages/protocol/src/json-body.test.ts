import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { B64_TEXT, parseJsonBody } from './json-body.ts';
import { decodeTensor } from './tensor.ts';

const floats = (n: number) => Buffer.from(new Float32Array(Array.from({ length: n }, (_, i) => Math.sin(i))).buffer);
const body = (value: unknown) => Buffer.from(JSON.stringify(value));
type Obj = Record<string | symbol, unknown>;
const tensorOf = (json: unknown, name = 'x') => (json as { input: Record<string, Obj> }).input[name]!;

describe('parseJsonBody', () => {
  const bytes = floats(3 * 48 * 192);
  const request = { input: { x: { datatype: 'FP32', shape: [1, 3, 48, 192], b64: bytes.toString('base64') } } };

  it('leaves a large b64 in the body and decodeTensor gives the same bytes', () => {
    const json = parseJsonBody(body(request));
    const x = tensorOf(json);
    expect(x.b64).toBe('');
    expect((x[B64_TEXT] as Buffer).length).toBe(request.input.x.b64.length);
    const t = decodeTensor('x', x, 'FP32', [1, 3, 48, 192]);
    expect(Buffer.from(t.data).equals(bytes)).toBe(true);
    // Everything else is what JSON.parse gives.
    expect({ ...Object.fromEntries(Object.entries(x)), b64: request.input.x.b64 }).toEqual(request.input.x);
  });

  it('parses small bodies and small b64 strings as they are', () => {
    const small = { input: { x: { datatype: 'FP32', shape: [4], b64: floats(4).toString('base64') } } };
    expect(tensorOf(parseJsonBody(body(small)))[B64_TEXT]).toBeUndefined();
    const mixed = {
      input: { ...request.input, y: small.input.x },
    };
    const json = parseJsonBody(body(mixed));
    expect(tensorOf(json, 'y').b64).toBe(small.input.x.b64);
    expect(tensorOf(json, 'x')[B64_TEXT]).toBeDefined();
  });

  it('keeps escaped base64 (a JSON encoder that writes \\/) as JSON.parse reads it', () => {
    const text = JSON.stringify(request).replaceAll('/', '\\/');
    const x = tensorOf(parseJsonBody(Buffer.from(text)));
    expect(x[B64_TEXT]).toBeUndefined();
    expect(x.b64).toBe(request.input.x.b64);
  });

  it('gives a b64 that is not a tensor field back as the string it was', () => {
    const long = randomBytes(6000).toString('base64');
    const value = { input: { s: { datatype: 'BYTES', shape: [1], data: [{ b64: long }] } }, note: 'x'.repeat(20000) };
    expect(parseJsonBody(body(value))).toEqual(value);
  });

  it('does not mistake "b64" inside a string, or a forged marker, for a lifted value', () => {
    const long = 'A'.repeat(8000);
    const inString = { note: `"b64": "${long}"`, input: { x: { datatype: 'FP32', shape: [1], b64: 'AAAAAA==' } } };
    expect(parseJsonBody(body(inString))).toEqual(inString);
    const forged = { input: { x: { datatype: 'FP32', shape: [1], b64: '\u0000alto-b64:guess:0' } }, pad: long };
    expect(parseJsonBody(body(forged))).toEqual(forged);
  });

  it('fails as JSON.parse fails on the whole body, position included', () => {
    const broken = Buffer.from(JSON.stringify(request).slice(0, -1) + ',}');
    let expected = '';
    try {
      JSON.parse(broken.toString());
    } catch (err) {
      expected = (err as Error).message;
    }
    expect(expected).not.toBe('');
    expect(() => parseJsonBody(broken)).toThrow(expected);
    const unterminated = Buffer.from(JSON.stringify(request).slice(0, 30000));
    expect(() => parseJsonBody(unterminated)).toThrow(SyntaxError);
  });

  it('reports lifted base64 that is not base64 as decodeTensor does for a string', () => {
    const bad = { input: { x: { ...request.input.x, b64: request.input.x.b64.replace('A', '*') } } };
    const x = tensorOf(parseJsonBody(body(bad)));
    expect(x[B64_TEXT]).toBeDefined();
    expect(() => decodeTensor('x', x, 'FP32', [1, 3, 48, 192])).toThrow(/input 'x': b64 must be a base64 string/);
  });

  it('parses only the first `end` bytes', () => {
    const text = body(request);
    const padded = Buffer.concat([text, Buffer.from('garbage after the JSON')]);
    const x = tensorOf(parseJsonBody(padded, text.length));
    expect(Buffer.from(decodeTensor('x', x, 'FP32', [1, 3, 48, 192]).data).equals(bytes)).toBe(true);
  });
});
