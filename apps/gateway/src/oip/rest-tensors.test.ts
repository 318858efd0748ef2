// The OIP REST bodies: requests into Alto inputs (JSON data, binary tensor extension) and
// outputs into JSON data or raw bytes after the header.
import { validateInputs, type ModelInfo } from '@alto/protocol';
import { describe, expect, it } from 'vitest';
import { parseRestInfer, restInferResponse } from './rest-tensors.ts';

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

const inputMap = (r: ReturnType<typeof parseRestInfer>) =>
  Object.fromEntries(r.inputs.map(({ name, tensor }) => [name, tensor]));

describe('parseRestInfer', () => {
  it('takes JSON data and binary inputs from the bytes after the header, in order', () => {
    const b = Buffer.from(new BigInt64Array([7n, -3n]).buffer);
    const r = parseRestInfer(
      {
        id: 'r1',
        inputs: [
          {
            name: 'a',
            datatype: 'FP32',
            shape: [2, 2],
            data: [
              [1, 2],
              [3, 4],
            ],
          },
          { name: 'b', datatype: 'INT64', shape: [2], parameters: { binary_data_size: 16 } },
        ],
        outputs: [{ name: 'y', parameters: { binary_data: true } }],
        parameters: { binary_data_output: false, priority: 'high' },
      },
      b,
    );
    expect(r.id).toBe('r1');
    expect(r.outputs).toEqual([{ name: 'y', binary: true }]);
    expect(r.parameters).toEqual({ binary_data_output: false, priority: 'high' });
    const { tensors } = validateInputs(model, inputMap(r));
    expect(Array.from(new Float32Array(tensors.get('a')!.data.slice().buffer))).toEqual([1, 2, 3, 4]);
    expect(Array.from(new BigInt64Array(tensors.get('b')!.data.slice().buffer))).toEqual([7n, -3n]);
  });

  it('refuses bytes the binary sizes do not account for, and sizes past the end', () => {
    const input = { name: 'b', datatype: 'INT64', shape: [1], parameters: { binary_data_size: 8 } };
    expect(() => parseRestInfer({ inputs: [input] }, Buffer.alloc(12))).toThrow(
      'request body: 4 bytes follow the JSON header and the binary inputs; binary_data_size sizes account for 8',
    );
    expect(() => parseRestInfer({ inputs: [input] }, Buffer.alloc(4))).toThrow(
      "input 'b': binary_data_size 8 runs past the end of the body (4 bytes left)",
    );
  });

  it('names the field and what came for malformed requests', () => {
    expect(() => parseRestInfer([])).toThrow('request body: expected an inference request object, got an array');
    expect(() => parseRestInfer({ inputs: {} })).toThrow(
      "field 'inputs': expected a non-empty array of input tensors, got an object",
    );
    expect(() => parseRestInfer({ inputs: [{ datatype: 'FP32' }] })).toThrow(
      "field 'inputs[0]': expected an object with a string 'name', got an object",
    );
    expect(() => parseRestInfer({ id: 5, inputs: [] })).toThrow("field 'id': must be a string, got 5");
    expect(() => parseRestInfer({ inputs: [{ name: 'a', datatype: 'FP32', shape: [1] }] })).toThrow(
      `input 'a': give its values as "data" or as raw bytes with parameters.binary_data_size`,
    );
    expect(() =>
      parseRestInfer({ inputs: [{ name: 'a', data: [1], parameters: { binary_data_size: 4 } }] }, Buffer.alloc(4)),
    ).toThrow(`input 'a': give either "data" or binary_data_size, not both`);
  });

  it('refuses the extensions Alto does not implement, by name', () => {
    const inputs = [{ name: 'a', datatype: 'FP32', shape: [1], data: [1] }];
    expect(() => parseRestInfer({ inputs, outputs: [{ name: 'y', parameters: { classification: 3 } }] })).toThrow(
      "output 'y': the classification extension is not supported",
    );
    expect(() => parseRestInfer({ inputs: [{ ...inputs[0], parameters: { shared_memory_region: 'r' } }] })).toThrow(
      "input 'a': shared memory is not supported",
    );
    expect(() => parseRestInfer({ inputs, parameters: { binary_data_output: 'yes' } })).toThrow(
      `request: parameter 'binary_data_output' must be true or false, got "yes"`,
    );
  });
});

describe('restInferResponse', () => {
  it('puts binary outputs after the header with their sizes, and JSON ones as data', () => {
    const f = new Float32Array([0.5, -1]);
    const tensor = { datatype: 'FP32' as const, shape: [2], data: new Uint8Array(f.buffer) };
    const r = restInferResponse({ model_name: 'm', model_version: '1', id: 'x' }, [
      { name: 'y', tensor, binary: true },
      { name: 'z', tensor, binary: false },
    ]);
    expect(JSON.parse(r.json)).toEqual({
      model_name: 'm',
      model_version: '1',
      id: 'x',
      outputs: [
        { name: 'y', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } },
        { name: 'z', datatype: 'FP32', shape: [2], data: [0.5, -1] },
      ],
    });
    expect(r.binary).toHaveLength(1);
    expect(Array.from(new Float32Array(new Uint8Array(r.binary[0]!).buffer))).toEqual([0.5, -1]);
  });
});
