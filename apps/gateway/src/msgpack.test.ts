// msgpack bodies: bin tensor data reaches validateInputs as raw bytes (checked there like a
// binary body's), responses carry output bytes as bin, and Accept decides which is sent.
import { AltoError, validateInputs, type ModelInfo, type PredictionRecord } from '@alto/protocol';
import { decode, encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { acceptsMsgpack, binPrediction, decodeMsgpackRequest, encodeMsgpack, isMsgpack } from './msgpack.ts';

const tiny: ModelInfo = {
  name: 'tiny',
  version: '1',
  versions: ['1'],
  platform: 'onnx',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
  batching: { max_batch_size: 8, max_queue_delay_ms: 0 },
};
const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);

describe('msgpack requests', () => {
  it('takes bin data as the tensor bytes and list data as values', () => {
    const body = encode({
      input: { x: { datatype: 'FP32', shape: [2, 2], data: f32([1, 2, 3, 4]) } },
      priority: 'high',
    });
    const request = decodeMsgpackRequest(Buffer.from(body)) as { input: Record<string, unknown>; priority: string };
    expect(request.priority).toBe('high');
    const x = validateInputs(tiny, request.input).tensors.get('x')!;
    expect(Array.from(new Float32Array(x.data.slice().buffer))).toEqual([1, 2, 3, 4]);
    const list = decodeMsgpackRequest(
      Buffer.from(encode({ input: { x: { datatype: 'FP32', shape: [1, 2], data: [5, 6] } } })),
    );
    expect(validateInputs(tiny, (list as { input: Record<string, unknown> }).input).tensors.get('x')?.shape).toEqual([
      1, 2,
    ]);
  });

  it('refuses bin data whose length does not fit the shape, naming both sizes', () => {
    const body = Buffer.from(encode({ input: { x: { datatype: 'FP32', shape: [2, 2], data: f32([1, 2, 3]) } } }));
    expect(() => decodeMsgpackRequest(body)).toThrow("input 'x': data (bin) is 12 bytes, shape [2,2] of FP32 needs 16");
  });

  it('refuses a body that is not msgpack with invalid_input', () => {
    expect(() => decodeMsgpackRequest(Buffer.from([0xc1]))).toThrow(AltoError);
    expect(() => decodeMsgpackRequest(Buffer.from([0xc1]))).toThrow(/^request body is not valid msgpack: /);
  });

  it('recognises application/msgpack and application/x-msgpack only', () => {
    expect(isMsgpack('application/msgpack')).toBe(true);
    expect(isMsgpack('application/x-msgpack; charset=binary')).toBe(true);
    expect(isMsgpack('application/msgpackx')).toBe(false);
    expect(isMsgpack(undefined)).toBe(false);
  });
});

describe('msgpack responses', () => {
  it('is chosen when Accept prefers msgpack over JSON', () => {
    expect(acceptsMsgpack('application/msgpack')).toBe(true);
    expect(acceptsMsgpack('application/msgpack, */*')).toBe(true);
    expect(acceptsMsgpack('application/json;q=0.5, application/msgpack')).toBe(true);
    expect(acceptsMsgpack('application/json, application/msgpack;q=0.5')).toBe(false);
    expect(acceptsMsgpack('application/msgpack;q=0')).toBe(false);
    expect(acceptsMsgpack('*/*')).toBe(false);
    expect(acceptsMsgpack(undefined)).toBe(false);
  });

  it("renders outputs as bin of the tensor's bytes, the rest as the JSON prediction", () => {
    const record: PredictionRecord = {
      id: 'tiny.1',
      model: 'tiny',
      version: '1',
      status: 'succeeded',
      format: 'json',
      output: new Map([['y', { datatype: 'FP32', shape: [1, 2], data: f32([0.5, -1]) }]]),
      error: null,
      createdAt: 0,
      startedAt: 1,
      completedAt: 2,
      queueMs: 1,
      predictMs: 1,
      batchSize: 1,
    };
    const back = decode(encodeMsgpack(binPrediction(record, 'http://h'))) as Record<string, any>;
    expect(back).toMatchObject({ id: 'tiny.1', status: 'succeeded', urls: { get: 'http://h/v1/predictions/tiny.1' } });
    expect(back.output.y.shape).toEqual([1, 2]);
    expect(back.output.y.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(new Float32Array(back.output.y.data.slice().buffer))).toEqual([0.5, -1]);
  });
});
