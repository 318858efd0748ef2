// Inputs and outputs by reference at the protocol level: what validateInputs accepts and
// refuses for {"uri": ...}, how the queue's codec carries a reference (with and without a
// known shape) and the request's output_uri, and how a prediction renders an output by URI.
import { describe, expect, it } from 'vitest';
import { AltoError } from './errors.ts';
import type { ModelInfo } from './model.ts';
import { renderPrediction, type PredictionRecord } from './prediction.ts';
import { decodeTensors, encodeTensors, type TensorMap } from './tensor-codec.ts';
import type { Tensor } from './tensor.ts';
import { splitOutputUri, withOutputUri } from './tensor-ref.ts';
import { validateInputs } from './validate.ts';

const model = {
  name: 'm',
  version: '1',
  versions: ['1'],
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [-1, 3] },
    { name: 'k', datatype: 'INT64', shape: [-1] },
  ],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 3] }],
  batching: { max_batch_size: 4, max_queue_delay_ms: 0 },
} as unknown as ModelInfo;

const allowAll = { checkUri: () => {} };
const k = { datatype: 'INT64', shape: [2], data: [1, 2] };

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AltoError);
    expect((err as AltoError).code).toBe('invalid_input');
    return (err as AltoError).message;
  }
  throw new Error('not refused');
}

describe('inputs by reference', () => {
  it('takes a .npy with or without its shape, and raw bytes with one', () => {
    const a = validateInputs(model, { x: { uri: 'gs://b/x.npy' }, k }, allowAll);
    expect(a.tensors.get('x')).toMatchObject({
      datatype: 'FP32',
      shape: [],
      ref: { uri: 'gs://b/x.npy', shaped: false },
    });
    expect(a.rows).toBe(2);
    const b = validateInputs(model, { x: { uri: 'gs://b/x.bin', datatype: 'FP32', shape: [2, 3] }, k }, allowAll);
    expect(b.tensors.get('x')).toMatchObject({ shape: [2, 3], ref: { uri: 'gs://b/x.bin', shaped: true } });
    expect(b.tensors.get('x')!.data.byteLength).toBe(0);
  });

  it('checks a given shape and datatype against the model like inline data', () => {
    expect(refusal(() => validateInputs(model, { x: { uri: 'gs://b/x.bin', shape: [2, 4] }, k }, allowAll))).toBe(
      "input 'x': expected shape [-1,3], got [2,4]",
    );
    expect(refusal(() => validateInputs(model, { x: { uri: 'gs://b/x.npy', datatype: 'FP64' }, k }, allowAll))).toBe(
      "input 'x': expected datatype FP32, got FP64",
    );
    expect(refusal(() => validateInputs(model, { x: { uri: 'gs://b/x.bin', shape: [3, 3] }, k }, allowAll))).toBe(
      "input 'k': batch size 2 differs from input 'x' batch size 3",
    );
  });

  it('refuses raw bytes without a shape, extra fields, and a non-string uri', () => {
    expect(refusal(() => validateInputs(model, { x: { uri: 'gs://b/x.bin' }, k }, allowAll))).toMatch(
      /uri 'gs:\/\/b\/x\.bin' is raw bytes \(not a \.npy\), so "shape" is needed/,
    );
    expect(refusal(() => validateInputs(model, { x: { uri: 'gs://b/x.npy', data: [1] }, k }, allowAll))).toMatch(
      /optionally "datatype" and "shape", not "data"/,
    );
    expect(refusal(() => validateInputs(model, { x: { uri: 7 }, k }, allowAll))).toMatch(
      /uri must be a gs:\/\/ or file:\/\/ URI, got 7/,
    );
  });

  it('refuses references where no checkUri is given, and passes on what checkUri throws', () => {
    expect(refusal(() => validateInputs(model, { x: { uri: 'gs://b/x.npy' }, k }))).toMatch(
      /not accepted on this endpoint/,
    );
    const err = new AltoError('uri_not_allowed', 'nope');
    expect(() =>
      validateInputs(
        model,
        { x: { uri: 'gs://b/x.npy' }, k },
        {
          checkUri: () => {
            throw err;
          },
        },
      ),
    ).toThrow(err);
  });
});

describe('references in the queue codec', () => {
  it('carries shaped and unshaped references beside inline tensors, and the output_uri', () => {
    const inline: Tensor = { datatype: 'INT64', shape: [2], data: new Uint8Array(16).fill(7) };
    const map: TensorMap = new Map([
      ['x', { datatype: 'FP32', shape: [], data: new Uint8Array(0), ref: { uri: 'gs://b/ä.npy', shaped: false } }],
      ['y', { datatype: 'FP16', shape: [2, 0, 5], data: new Uint8Array(0), ref: { uri: '/srv/p/y', shaped: true } }],
      ['k', inline],
    ]);
    const back = decodeTensors(encodeTensors(withOutputUri(map, 'gs://b/out/')));
    const { inputs, outputUri } = splitOutputUri(back);
    expect(outputUri).toBe('gs://b/out/');
    expect([...inputs.keys()]).toEqual(['x', 'y', 'k']);
    expect(inputs.get('x')).toEqual(map.get('x'));
    expect(inputs.get('y')).toEqual(map.get('y'));
    expect(Buffer.from(inputs.get('k')!.data).equals(Buffer.from(inline.data))).toBe(true);
    expect(splitOutputUri(decodeTensors(encodeTensors(map)))).toMatchObject({
      outputUri: undefined,
      byReference: true,
    });
    // A protocol that cannot answer outputs by URI marks its requests inline-only.
    const inlineOnly = splitOutputUri(decodeTensors(encodeTensors(withOutputUri(map, undefined, false))));
    expect(inlineOnly).toMatchObject({ outputUri: undefined, byReference: false });
    expect([...inlineOnly.inputs.keys()]).toEqual(['x', 'y', 'k']);
    expect(withOutputUri(map, undefined)).toBe(map);
  });

  it('renders an output by reference as its uri, datatype and shape', () => {
    const record = {
      id: 'm.01',
      model: 'm',
      version: '1',
      status: 'succeeded',
      format: 'json',
      output: new Map([
        [
          'y',
          {
            datatype: 'FP32',
            shape: [1, 3],
            data: new Uint8Array(0),
            ref: { uri: 'gs://b/o/m.01/y.npy', shaped: true },
          },
        ],
      ]),
      error: null,
      createdAt: 0,
      startedAt: null,
      completedAt: null,
      queueMs: null,
      predictMs: null,
      batchSize: null,
    } as PredictionRecord;
    expect(renderPrediction(record, 'http://x').output).toEqual({
      y: { datatype: 'FP32', shape: [1, 3], uri: 'gs://b/o/m.01/y.npy' },
    });
  });
});
