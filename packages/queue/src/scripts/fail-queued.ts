// fail-queued-3.lua: fails a prediction that has not started, deleting its entry.
import type { EntryRef } from './prediction-ref.ts';
import { codeOf, queueScript } from './queue-script.ts';

export interface FailQueuedParams extends EntryRef {
  /** The error the prediction fails with. */
  error: { code: string; message: string };
  /** completed_at, epoch ms. */
  now: number;
  retentionMs: number;
}

/** The script's replies, as its `local NAME = <code>` lines name them. */
export const FAIL_QUEUED_CODES = { FAILED: 1, NOT_QUEUED: 0 } as const;

export type FailQueuedOutcome = keyof typeof FAIL_QUEUED_CODES;

export const failQueued = queueScript<FailQueuedParams, FailQueuedOutcome>('failQueued', {
  file: 'fail-queued-3.lua',
  outcomes: Object.keys(FAIL_QUEUED_CODES),
  codes: FAIL_QUEUED_CODES,
  keys: (p) => [p.stream, p.keys.prediction(p.model, p.predictionId), p.keys.outbox(p.model)],
  argv: (p) => [p.entryId, p.error.code, p.error.message, p.now, p.retentionMs, p.keys.completions, p.predictionId],
  decode: (reply) => codeOf('fail-queued-3.lua', FAIL_QUEUED_CODES, reply),
});
