// Queue-level helpers for tests that play the gateway's and the worker's parts by hand.
import { encodeTensors, newPredictionId, type Tensor } from '@alto/protocol';
import type { Entry, NewPrediction, Outcome, StreamConsumer } from '@alto/queue';

export { RedisModelRegistry, StreamConsumer, connect, keys } from '@alto/queue';

/** Outputs equal to the entry's inputs, encoded as a worker stores them. */
export const encodeOutputs = (e: Entry): Buffer => encodeTensors(e.inputs);

/** A one-element FP32 tensor [1, 1] holding `v`. */
export const tensor = (v: number): Tensor => ({
  datatype: 'FP32',
  shape: [1, 1],
  data: new Uint8Array(new Float32Array([v]).buffer),
});

/** A new JSON prediction of `model` version 1, with a fresh id and input x = tensor(v). */
export const newPrediction = (model: string, v = 1): NewPrediction => ({
  id: newPredictionId(model),
  model,
  version: '1',
  format: 'json',
  tensors: new Map([['x', tensor(v)]]),
});

/** What a worker reports with an outcome besides the outcome itself. */
export type OutcomeStats = Pick<Outcome, 'queueMs' | 'predictMs' | 'batchSize'>;

/**
 * Completes `entries` as succeeded, as a worker would, with their inputs for outputs; each
 * reports 0 ms queued and computing and a batch of all `entries` unless `stats` say otherwise.
 */
export const succeed = (c: StreamConsumer, entries: Entry[], stats: Partial<OutcomeStats> = {}) =>
  c.complete(
    entries.map((entry) => ({
      entry,
      outcome: {
        kind: 'succeeded' as const,
        outputs: encodeOutputs(entry),
        queueMs: 0,
        predictMs: 0,
        batchSize: entries.length,
        ...stats,
      },
    })),
  );
