// start-4.lua: takes a delivered entry into a batch, or sorts it out (fenced, over, expired, poison).
import { GROUP } from '../keys.ts';
import type { EntryRef } from './prediction-ref.ts';
import { codeOf, queueScript, unexpected } from './queue-script.ts';

export interface StartParams extends EntryRef {
  /** This worker's consumer name. */
  consumer: string;
  /** Epoch ms: started_at, and the clock deadlines are held against. */
  now: number;
  /** Deliveries after which the entry is dead-lettered as poison. */
  maxDeliveries: number;
  /** How long a prediction settled here is kept. */
  retentionMs: number;
}

/** The script's replies other than a delivery count, as its `local NAME = <code>` lines name them. */
export const START_CODES = { TERMINAL: 0, GONE: -1, FENCED: -2, POISON: -3, EXPIRED: -4 } as const;

export type StartOutcome =
  /** Running now, on its `deliveries`-th delivery: compute it. */
  { code: 'RUNNING'; deliveries: number } | { code: keyof typeof START_CODES };

export const start = queueScript<StartParams, StartOutcome>('start', {
  file: 'start-4.lua',
  outcomes: ['RUNNING', ...Object.keys(START_CODES)],
  codes: START_CODES,
  keys: (p) => [p.stream, p.keys.dead(p.model), p.keys.prediction(p.model, p.predictionId), p.keys.outbox(p.model)],
  argv: (p) => [
    p.now,
    p.consumer,
    GROUP,
    p.entryId,
    p.maxDeliveries,
    p.retentionMs,
    p.keys.completions,
    p.predictionId,
  ],
  decode: (reply) => {
    if (typeof reply !== 'number') return unexpected('start-4.lua', reply);
    return reply >= 1 ? { code: 'RUNNING', deliveries: reply } : { code: codeOf('start-4.lua', START_CODES, reply) };
  },
});
