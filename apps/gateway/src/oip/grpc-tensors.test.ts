// ModelInfer messages to Alto inputs and back: raw_input_contents, typed contents, parameters.
import { validateInputs, type ModelInfo } from '@alto/protocol';
import { describe, expect, it } from 'vitest';
import { grpcInferResponse, grpcInputs, grpcOutputs, parameterValues, type GrpcInferRequest } from './grpc-tensors.ts';

const model: ModelInfo = {
  name: 'm',
  version: '1',
  versions: ['1'],
  platform: 'onnx',
  inputs: [
    { name: 'a', datatype: 'FP32', shape: [-1, 2] },
    { name: 'b', datatype: 'INT64', shape: [-1] },
  ],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
  batching: { max_batch_size: 8, max_queue_delay_ms: 0 },
};

const request = (over: Partial<GrpcInferRequest>): GrpcInferRequest => ({
  model_name: 'm',
  model_version: '',
  id: '',
  parameters: {},
  inputs: [],
  outputs: [],
  raw_input_contents: [],
  ...over,
});

const input = (name: string, datatype: string, shape: string[], contents = {}) => ({
  name,
  datatype,
  shape,
  parameters: {},
  contents,
});

const decoded = (r: GrpcInferRequest) =>
  validateInputs(model, Object.fromEntries(grpcInputs(r).map(({ name, tensor }) => [name, tensor]))).tensors;

describe('grpcInputs', () => {
  it('takes typed contents, 64-bit integers given as strings', () => {
    const tensors = decoded(
      request({
        inputs: [
          input('a', 'FP32', ['1', '2'], { fp32_contents: [1.5, 2] }),
          input('b', 'INT64', ['1'], { int64_contents: ['-9'] }),
        ],
      }),
    );
    expect(Array.from(new Float32Array(tensors.get('a')!.data.slice().buffer))).toEqual([1.5, 2]);
    expect(Array.from(new BigInt64Array(tensors.get('b')!.data.slice().buffer))).toEqual([-9n]);
  });

  it('takes raw_input_contents, one entry per input in order', () => {
    const tensors = decoded(
      request({
        inputs: [input('a', 'FP32', ['1', '2']), input('b', 'INT64', ['1'])],
        raw_input_contents: [Buffer.from(new Float32Array([3, 4]).buffer), Buffer.from(new BigInt64Array([5n]).buffer)],
      }),
    );
    expect(Array.from(new Float32Array(tensors.get('a')!.data.slice().buffer))).toEqual([3, 4]);
    expect(Array.from(new BigInt64Array(tensors.get('b')!.data.slice().buffer))).toEqual([5n]);
  });

  it('refuses a count of raw entries that is not one per input, and raw mixed with contents', () => {
    const a = input('a', 'FP32', ['1', '2'], { fp32_contents: [1, 2] });
    expect(() => grpcInputs(request({ inputs: [a, a], raw_input_contents: [Buffer.alloc(8)] }))).toThrow(
      'raw_input_contents: has 1 entries for 2 inputs; give one per input, in order, or none',
    );
    expect(() => grpcInputs(request({ inputs: [a], raw_input_contents: [Buffer.alloc(8)] }))).toThrow(
      "input 'a': has fp32_contents while the request gives raw_input_contents; give one or the other",
    );
  });

  it('refuses contents of another datatype, and 64-bit values past 2^53', () => {
    expect(() => grpcInputs(request({ inputs: [input('a', 'FP32', ['1'], { int_contents: [1] })] }))).toThrow(
      "input 'a': datatype FP32 takes fp32_contents (or raw_input_contents), got int_contents",
    );
    expect(() => grpcInputs(request({ inputs: [input('a', 'FP16', ['1'], { fp32_contents: [1] })] }))).toThrow(
      "input 'a': datatype FP16 takes raw_input_contents, got fp32_contents",
    );
    expect(() =>
      grpcInputs(request({ inputs: [input('b', 'INT64', ['1'], { int64_contents: ['9007199254740993'] })] })),
    ).toThrow("input 'b': element 0: 9007199254740993 is beyond ±2^53, which Alto cannot carry exactly");
  });
});

describe('parameters and outputs', () => {
  it('reads each parameter from its oneof choice', () => {
    expect(
      parameterValues({
        priority: { parameter_choice: 'string_param', string_param: 'low' },
        timeout: { parameter_choice: 'int64_param', int64_param: '2500' },
        flag: { parameter_choice: 'bool_param', bool_param: true },
      }),
    ).toEqual({ priority: 'low', timeout: 2500, flag: true });
  });

  it('lists requested outputs, none meaning all, and refuses classification', () => {
    expect(grpcOutputs(request({}))).toBeUndefined();
    expect(grpcOutputs(request({ outputs: [{ name: 'y', parameters: {} }] }))).toEqual(['y']);
    expect(() =>
      grpcOutputs(
        request({
          outputs: [
            { name: 'y', parameters: { classification: { parameter_choice: 'int64_param', int64_param: '2' } } },
          ],
        }),
      ),
    ).toThrow("output 'y': the classification extension is not supported");
  });

  it('answers every output as raw bytes in output order', () => {
    const f = new Float32Array([1, 2]);
    const r = grpcInferResponse({ model_name: 'm', model_version: '1', id: 'i', prediction_id: 'p' }, [
      { name: 'y', tensor: { datatype: 'FP32', shape: [2], data: new Uint8Array(f.buffer) } },
    ]);
    expect(r.outputs).toEqual([{ name: 'y', datatype: 'FP32', shape: [2] }]);
    expect(r.raw_output_contents[0]).toEqual(Buffer.from(f.buffer));
    expect(r.parameters).toEqual({ prediction_id: { string_param: 'p' } });
  });
});
