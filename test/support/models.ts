// ModelInfo fixtures for tests that write models straight into the registry (no worker, no
// model file): `tiny` has the I/O of the demo repository's models/tiny, `pair` two inputs of
// non-float datatypes. A test that needs other dims or limits spells out a model of its own.
import type { ModelInfo } from '@alto/protocol';

/** FP32 x [-1, 64] -> y [-1, 10], batches of up to 8. */
export const tiny: ModelInfo = {
  name: 'tiny',
  version: '1',
  versions: ['1'],
  platform: 'onnx',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 64] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 10] }],
  batching: { max_batch_size: 8, max_queue_delay_ms: 0 },
};

/** INT8 a [-1, 2] and BOOL b [-1, 2] -> FP32 y [-1], batches of up to 8. */
export const pair: ModelInfo = {
  name: 'pair',
  version: '1',
  versions: ['1'],
  platform: 'onnx',
  inputs: [
    { name: 'a', datatype: 'INT8', shape: [-1, 2] },
    { name: 'b', datatype: 'BOOL', shape: [-1, 2] },
  ],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
  batching: { max_batch_size: 8, max_queue_delay_ms: 0 },
};
