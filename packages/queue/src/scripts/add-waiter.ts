// add-waiter-1.lua: adds a waiting gateway's channel to a prediction's completion notices.
import type { Status } from '@alto/protocol';
import type { PredictionRef } from './prediction-ref.ts';
import { queueScript, unexpected } from './queue-script.ts';

export interface AddWaiterParams extends PredictionRef {
  /** The waiting gateway's channel for the prediction's model (`keys.notices`). */
  channel: string;
}

export type AddWaiterOutcome =
  /** No such prediction (unknown, or past retention). */
  | { code: 'GONE' }
  /** Its status: the channel was added when it is 'queued' or 'running'. */
  | { code: 'STATUS'; status: Status };

export const addWaiter = queueScript<AddWaiterParams, AddWaiterOutcome>('addWaiter', {
  file: 'add-waiter-1.lua',
  outcomes: ['GONE', 'STATUS'],
  keys: (p) => [p.keys.prediction(p.model, p.predictionId)],
  argv: (p) => [p.channel],
  decode: (reply) => {
    if (reply === null) return { code: 'GONE' };
    if (typeof reply === 'string') return { code: 'STATUS', status: reply as Status };
    return unexpected('add-waiter-1.lua', reply);
  },
});
