// Queue-level helpers for tests that play the worker's part by hand.
import { encodeTensors, type Tensor } from '@alto/protocol';
import type { Entry } from '@alto/queue';

export { RedisModelRegistry, StreamConsumer, connect, keys } from '@alto/queue';

/** Outputs equal to the entry's inputs, encoded as a worker stores them. */
export const encodeOutputs = (e: Entry): Buffer => encodeTensors(e.inputs);

/** A one-element FP32 tensor [1, 1] holding `v`. */
export const tensor = (v: number): Tensor => ({
  datatype: 'FP32',
  shape: [1, 1],
  data: new Uint8Array(new Float32Array([v]).buffer),
});
