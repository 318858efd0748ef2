// replay-3.lua: queues a dead-lettered request again, on the model's normal stream.
import { modelStreams } from '../keys.ts';
import type { PredictionRef } from './prediction-ref.ts';
import { queueScript, unexpected } from './queue-script.ts';

export interface ReplayParams extends PredictionRef {
  /** The entry's id in the dead-letter stream. */
  deadEntryId: string;
  /** replayed_at, epoch ms. */
  now: number;
}

export type ReplayOutcome =
  /** Queued again as entry `entryId`. */
  | { code: 'REPLAYED'; entryId: string }
  /** No such dead-letter entry. */
  | { code: 'NOT_FOUND' };

export const replay = queueScript<ReplayParams, ReplayOutcome>('replay', {
  file: 'replay-3.lua',
  outcomes: ['REPLAYED', 'NOT_FOUND'],
  keys: (p) => [
    p.keys.dead(p.model),
    modelStreams(p.keys, p.model).of('normal'),
    p.keys.prediction(p.model, p.predictionId),
  ],
  argv: (p) => [p.deadEntryId, p.now],
  decode: (reply) => {
    if (reply === null) return { code: 'NOT_FOUND' };
    if (typeof reply === 'string') return { code: 'REPLAYED', entryId: reply };
    return unexpected('replay-3.lua', reply);
  },
});
