// cancel-3.lua: cancels a queued or running prediction; leaves a terminal one as it is.
import type { Status } from '@alto/protocol';
import type { PredictionRef } from './prediction-ref.ts';
import { queueScript, unexpected } from './queue-script.ts';

export interface CancelParams extends PredictionRef {
  /** The stream holding its entry (its target's stream of its priority). */
  stream: string;
  /** completed_at, epoch ms. */
  now: number;
  retentionMs: number;
}

export type CancelOutcome =
  /** No such prediction (unknown, or past retention). */
  | { code: 'GONE' }
  /** The prediction's status after the call: 'canceled', or the terminal status it had. */
  | { code: 'STATUS'; status: Status };

export const cancel = queueScript<CancelParams, CancelOutcome>('cancel', {
  file: 'cancel-3.lua',
  outcomes: ['GONE', 'STATUS'],
  keys: (p) => [p.stream, p.keys.prediction(p.model, p.predictionId), p.keys.outbox(p.model)],
  argv: (p) => [p.now, p.retentionMs, p.keys.completions, p.predictionId],
  decode: (reply) => {
    if (reply === null) return { code: 'GONE' };
    if (typeof reply === 'string') return { code: 'STATUS', status: reply as Status };
    return unexpected('cancel-3.lua', reply);
  },
});
