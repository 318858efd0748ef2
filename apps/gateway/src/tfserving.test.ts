// TF Serving request/response translation: every request form of api_rest.md becomes the Alto
// request validateInputs accepts (or a 400 naming the field), and replies take TF's shapes.
import { AltoError, RAW_TENSOR, validateInputs, type ModelInfo, type Tensor } from '@alto/protocol';
import { describe, expect, it } from 'vitest';
import { failureOf, fromTfRequest, nested, toTfResponse } from './tfserving.ts';

const tiny: ModelInfo = {
  name: 'tiny',
  version: '1',
  versions: ['1'],
  platform: 'onnx',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
  batching: { max_batch_size: 8, max_queue_delay_ms: 0 },
};
const pair: ModelInfo = {
  ...tiny,
  name: 'pair',
  inputs: [
    { name: 'a', datatype: 'INT8', shape: [-1, 2] },
    { name: 'b', datatype: 'BOOL', shape: [-1] },
  ],
};

/** The tensors validateInputs makes of a TF request: what the queue would get. */
const tensors = (model: ModelInfo, body: unknown) =>
  validateInputs(model, fromTfRequest(model, body).body.input).tensors;
const floats = (t: Tensor | undefined) => Array.from(new Float32Array(t!.data.slice().buffer));
const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(AltoError);
    expect((err as AltoError).code).toBe('invalid_input');
    return (err as AltoError).message;
  }
  throw new Error('not refused');
};

describe('fromTfRequest', () => {
  it('stacks unnamed row-format instances along dim 0 of the one input', () => {
    const t = tensors(tiny, {
      instances: [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ],
    }).get('x');
    expect(t?.shape).toEqual([2, 4]);
    expect(floats(t)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(fromTfRequest(tiny, { instances: [[1, 2, 3, 4]] }).format).toBe('row');
  });

  it('stacks named row-format instances per input, each with its datatype', () => {
    const t = tensors(pair, {
      instances: [
        { a: [1, -2], b: true },
        { a: [3, 4], b: false },
      ],
    });
    expect(t.get('a')).toMatchObject({ datatype: 'INT8', shape: [2, 2] });
    expect(Array.from(new Int8Array(t.get('a')!.data.slice().buffer))).toEqual([1, -2, 3, 4]);
    expect(Array.from(t.get('b')!.data)).toEqual([1, 0]);
  });

  it('takes columnar inputs as given, named or the unnamed single input', () => {
    const named = fromTfRequest(pair, { inputs: { a: [[1, 2]], b: [true] } });
    expect(named.format).toBe('columnar');
    expect(validateInputs(pair, named.body.input).tensors.get('b')?.shape).toEqual([1]);
    expect(floats(tensors(tiny, { inputs: [[1, 2, 3, 4]] }).get('x'))).toEqual([1, 2, 3, 4]);
  });

  it('reads {"b64"} as the raw little-endian bytes of an instance or of the whole input', () => {
    const bytes = (values: number[]) => Buffer.from(new Float32Array(values).buffer).toString('base64');
    const named = tensors(tiny, {
      instances: [{ x: { b64: bytes([1, 2, 3, 4]) } }, { x: { b64: bytes([5, 6, 7, 8]) } }],
    });
    expect(floats(named.get('x'))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const unnamed = tensors(tiny, { instances: [{ b64: bytes([1, 2, 3, 4]) }] });
    expect(floats(unnamed.get('x'))).toEqual([1, 2, 3, 4]);
    const columns = tensors(tiny, { inputs: { b64: bytes([1, 2, 3, 4, 5, 6, 7, 8]) } }).get('x');
    expect(columns?.shape).toEqual([2, 4]);
    expect(
      RAW_TENSOR in (fromTfRequest(tiny, { inputs: { x: { b64: bytes([0, 0, 0, 0]) } } }).body.input.x as object),
    ).toBe(true);
  });

  it('refuses what is not a predict request with the field and both sides named', () => {
    expect(refusal(() => fromTfRequest(tiny, { instances: [[1, 2, 3, 4]], inputs: [[1, 2, 3, 4]] }))).toBe(
      'request body: give exactly one of "instances" (row format) or "inputs" (columnar format)',
    );
    expect(refusal(() => fromTfRequest(tiny, {}))).toContain('exactly one of "instances"');
    expect(refusal(() => fromTfRequest(tiny, { signature_name: 'classify', instances: [[1, 2, 3, 4]] }))).toBe(
      `field 'signature_name': Alto models have one signature, 'serving_default', got "classify"`,
    );
    expect(refusal(() => fromTfRequest(tiny, { examples: [] }))).toBe(
      "field 'examples': not a field of a :predict request (signature_name, instances, inputs)",
    );
    expect(refusal(() => fromTfRequest(tiny, { instances: [] }))).toBe(
      "field 'instances': expected a non-empty list of instances, got a list",
    );
    expect(refusal(() => fromTfRequest(tiny, [1]))).toContain('request body: expected a JSON object');
    expect(refusal(() => fromTfRequest(pair, { instances: [[1, 2]] }))).toBe(
      "field 'instances': model 'pair' has 2 inputs (a, b); name them with an object",
    );
    expect(refusal(() => fromTfRequest(pair, { instances: [{ a: [1, 2], b: true }, { a: [1, 2] }] }))).toContain(
      'instance 1 names inputs a, instance 0 names a, b',
    );
    expect(refusal(() => fromTfRequest(tiny, { inputs: { z: [1] } }))).toBe(
      "input 'z': model 'tiny' has no such input; its inputs are x",
    );
    expect(refusal(() => fromTfRequest(tiny, { instances: [{ b64: 'AAAA' }] }))).toBe(
      `input 'x': instance 0's "b64" decodes to 3 bytes, one [4] FP32 row is 16`,
    );
    expect(refusal(() => fromTfRequest(tiny, { instances: [{ b64: 'not base64!' }] }))).toContain(
      '"b64" must be a padded base64 string',
    );
  });

  it('leaves tensor checks to validateInputs, whose message names the input', () => {
    expect(refusal(() => tensors(tiny, { instances: [[1, 2, 3]] }))).toBe(
      "input 'x': expected shape [-1,4], got [1,3]",
    );
    expect(
      refusal(() =>
        tensors(tiny, {
          instances: [
            [1, 2, 3, 4],
            [1, 2],
          ],
        }),
      ),
    ).toBe("input 'x': data[1] has 2 elements, shape [2,4] needs 4 there");
    // Ragged rows whose element count happens to fit the shape are refused too.
    const ragged = {
      instances: [
        [1, 2, 3, 4],
        [5, 6],
        [7, 8, 9, 10, 11, 12],
      ],
    };
    expect(refusal(() => tensors(tiny, ragged))).toBe("input 'x': data[1] has 2 elements, shape [3,4] needs 4 there");
  });
});

describe('toTfResponse', () => {
  const y: Tensor = { datatype: 'FP32', shape: [2, 2], data: new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer) };
  const z: Tensor = { datatype: 'INT32', shape: [2], data: new Uint8Array(new Int32Array([7, 8]).buffer) };

  it('answers a row request with predictions, unnamed for one output and objects for several', () => {
    expect(toTfResponse('row', new Map([['y', y]]))).toEqual({
      predictions: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(
      toTfResponse(
        'row',
        new Map([
          ['y', y],
          ['z', z],
        ]),
      ),
    ).toEqual({
      predictions: [
        { y: [1, 2], z: 7 },
        { y: [3, 4], z: 8 },
      ],
    });
  });

  it('answers a columnar request with outputs, unnamed for one output and an object for several', () => {
    expect(toTfResponse('columnar', new Map([['y', y]]))).toEqual({
      outputs: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(
      toTfResponse(
        'columnar',
        new Map([
          ['y', y],
          ['z', z],
        ]),
      ),
    ).toEqual({
      outputs: {
        y: [
          [1, 2],
          [3, 4],
        ],
        z: [7, 8],
      },
    });
  });

  it('nests values to any rank, a scalar for rank 0', () => {
    const t: Tensor = { datatype: 'UINT8', shape: [2, 1, 3], data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
    expect(nested(t)).toEqual([[[1, 2, 3]], [[4, 5, 6]]]);
    expect(nested({ datatype: 'UINT8', shape: [], data: new Uint8Array([9]) })).toBe(9);
  });

  it('maps a prediction that ended without output to a status', () => {
    const record = {
      id: 'tiny.1',
      model: 'tiny',
      version: '1',
      format: 'json' as const,
      output: null,
      createdAt: 0,
      startedAt: null,
      completedAt: null,
      queueMs: null,
      predictMs: null,
      batchSize: null,
    };
    expect(failureOf({ ...record, status: 'failed', error: { code: 'inference_failed', message: 'boom' } })).toEqual({
      status: 500,
      message: "prediction 'tiny.1' failed: inference_failed: boom",
    });
    expect(
      failureOf({ ...record, status: 'expired', error: { code: 'deadline_exceeded', message: 'late' } }).status,
    ).toBe(504);
  });
});
