// Queue-level helpers for tests that play the worker's part by hand.
import { encodeTensors } from '@alto/protocol';
import type { Entry } from '@alto/queue';

export { RedisModelRegistry, StreamConsumer, connect, keys } from '@alto/queue';

/** Outputs equal to the entry's inputs, encoded as a worker stores them. */
export const encodeOutputs = (e: Entry): Buffer => encodeTensors(e.inputs);
