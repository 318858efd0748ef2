// A fed line's outcome and its line in a result shard, from its entry and its prediction's
// record: deterministic once the prediction is terminal, so a shard rewritten after a crash
// holds the same lines.
import { TERMINAL, renderPrediction, type PredictionRecord } from '@alto/protocol';
import type { PendingEntry, ResultLine } from './batch.ts';

export type Outcome = ResultLine['status'];

/** The outcome of a fed line, once its prediction ended; undefined while it runs. */
export function outcomeOf(entry: PendingEntry, record: PredictionRecord | undefined): Outcome | undefined {
  if ('e' in entry) return 'failed';
  if (!record) return 'failed'; // expired: reported as failed by resultLine
  if (!TERMINAL.has(record.status)) return undefined;
  return record.status === 'succeeded' ? 'succeeded' : record.status === 'canceled' ? 'canceled' : 'failed';
}

/** A shard's line for one fed line: deterministic given the (terminal) prediction record. */
export function resultLine(line: number, entry: PendingEntry, record: PredictionRecord | undefined): ResultLine {
  const custom_id = entry.c ?? null;
  if ('e' in entry) return { custom_id, line, prediction_id: null, status: 'failed', output: null, error: entry.e };
  if (!record) {
    const error = {
      code: 'prediction_not_found',
      message: `prediction '${entry.p}' expired before its result was written`,
    };
    return { custom_id, line, prediction_id: entry.p, status: 'failed', output: null, error };
  }
  const status = outcomeOf(entry, record)!;
  const rendered = renderPrediction(record, '');
  return { custom_id, line, prediction_id: record.id, status, output: rendered.output, error: rendered.error };
}
