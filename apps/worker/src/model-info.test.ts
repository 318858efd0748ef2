// The metadata a model is served with, built from its session's inputs and outputs and its
// config.json: batching defaults, narrowed shapes, and the errors that name both sides.
import { describe, expect, it } from 'vitest';
import type { ResolvedModel } from '@alto/repository';
import type { IoMeta } from '@alto/runtime';
import { DEFAULT_MAX_BATCH_SIZE, buildModelInfo } from './model-info.ts';

const resolved = (config: ResolvedModel['config'] = {}): ResolvedModel => ({
  name: 'textdir',
  version: '2',
  versions: ['1', '2'],
  path: '/models/textdir/2/model.onnx',
  config,
});
const x: IoMeta = { name: 'x', type: 'float32', shape: ['batch', 3, 48, -1] };
const y: IoMeta = { name: 'y', type: 'float32', shape: ['batch', 2] };
const fixed: IoMeta = { name: 'x', type: 'float32', shape: [1, 3] };

describe('buildModelInfo', () => {
  it('a model with a dynamic dim 0 on every input batches by default, without a queue delay', () => {
    const info = buildModelInfo(resolved(), [x], [y]);
    expect(info.batching).toEqual({ max_batch_size: DEFAULT_MAX_BATCH_SIZE, max_queue_delay_ms: 0 });
    expect(info.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 3, 48, -1] }]);
    expect(info.outputs).toEqual([{ name: 'y', datatype: 'FP32', shape: [-1, 2] }]);
    expect(info).toMatchObject({ name: 'textdir', version: '2', versions: ['1', '2'], platform: 'onnx' });
  });

  it('a model with a fixed dim 0 does not batch', () => {
    expect(buildModelInfo(resolved(), [fixed], [y]).batching.max_batch_size).toBe(0);
  });

  it('takes batching, queue length and timeout from config.json', () => {
    const info = buildModelInfo(
      resolved({ max_batch_size: 8, max_queue_delay_ms: 5, max_queue_length: 3, timeout_ms: 900 }),
      [x],
      [y],
    );
    expect(info.batching).toEqual({ max_batch_size: 8, max_queue_delay_ms: 5 });
    expect(info.max_queue_length).toBe(3);
    expect(info.timeout_ms).toBe(900);
  });

  it('narrows a dynamic input dim to the shape config.json gives', () => {
    const info = buildModelInfo(resolved({ inputs: [{ name: 'x', shape: [-1, 3, 48, 192] }] }), [x], [y]);
    expect(info.inputs[0]!.shape).toEqual([-1, 3, 48, 192]);
  });

  it('rejects a config.json shape that contradicts the model, naming both', () => {
    expect(() => buildModelInfo(resolved({ inputs: [{ name: 'x', shape: [-1, 4, 48, 192] }] }), [x], [y])).toThrow(
      "model 'textdir': config.json shape [-1,4,48,192] for input 'x' contradicts the model's [-1,3,48,-1]",
    );
  });

  it('rejects a config.json input the model does not have', () => {
    expect(() => buildModelInfo(resolved({ inputs: [{ name: 'z', shape: [1] }] }), [x], [y])).toThrow(
      "model 'textdir': config.json names input 'z', which the model does not have",
    );
  });

  it('rejects max_batch_size on a model whose dim 0 is fixed, naming its inputs', () => {
    expect(() => buildModelInfo(resolved({ max_batch_size: 4 }), [fixed], [y])).toThrow(
      /max_batch_size 4 needs a dynamic dim 0 on every input; inputs are x \[1,3\]/,
    );
  });
});
