// complete-3.lua: stores a prediction's outcome, acknowledges its entry, announces it.
import { GROUP } from '../keys.ts';
import type { EntryRef } from './prediction-ref.ts';
import { codeOf, queueScript } from './queue-script.ts';

export interface CompleteParams extends EntryRef {
  /** This worker's consumer name: only the consumer holding the entry may settle it. */
  consumer: string;
  result: { status: 'succeeded'; outputs: Buffer } | { status: 'failed'; code: string; message: string };
  /** completed_at, epoch ms. */
  now: number;
  retentionMs: number;
  queueMs: number;
  predictMs: number;
  batchSize: number;
  /** Most bytes of a completion notice that carries the record (see notice.ts). */
  noticeMaxBytes: number;
}

/** The script's replies, as its `local NAME = <code>` lines name them. */
export const COMPLETE_CODES = {
  /** The outcome was stored. */
  STORED: 1,
  /** The prediction was already terminal (or gone): the outcome was discarded. */
  DISCARDED: 0,
  /** Another consumer took the entry over: the outcome was discarded, the entry left to it. */
  FENCED: -1,
} as const;

export type CompleteOutcome = keyof typeof COMPLETE_CODES;

export const complete = queueScript<CompleteParams, CompleteOutcome>('complete', {
  file: 'complete-3.lua',
  outcomes: Object.keys(COMPLETE_CODES),
  codes: COMPLETE_CODES,
  keys: (p) => [p.stream, p.keys.prediction(p.model, p.predictionId), p.keys.outbox(p.model)],
  argv: (p) => {
    const r = p.result;
    return [
      GROUP,
      p.entryId,
      r.status,
      p.now,
      p.retentionMs,
      p.keys.completions,
      p.predictionId,
      r.status === 'succeeded' ? r.outputs : '',
      r.status === 'failed' ? r.code : '',
      r.status === 'failed' ? r.message : '',
      p.queueMs,
      p.predictMs,
      p.batchSize,
      p.consumer,
      p.noticeMaxBytes,
    ];
  },
  decode: (reply) => codeOf('complete-3.lua', COMPLETE_CODES, reply),
});
