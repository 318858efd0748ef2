// A batch's rendering and its result lines, from records built here.
import type { PredictionRecord } from '@alto/protocol';
import { describe, expect, it } from 'vitest';
import { parseBatch, renderBatch, shardUri } from './batch.ts';
import { resultLine } from './results.ts';

const meta = {
  id: 'batch_1',
  owner: 'o',
  model: 'tiny',
  input_uri: 'gs://b/in.jsonl',
  output_uri: 'gs://b/out/',
  priority: 'low',
  status: 'running',
  created_at: '1000',
  started_at: '2000',
  total: '10',
  last_line: '11',
  fed: '8',
  submitted: '7',
  succeeded: '4',
  failed: '1',
};

describe('batch objects', () => {
  it('renders counts, outstanding lines and rows per second from the meta hash', () => {
    const b = parseBatch(meta)!;
    expect(renderBatch(b, 7000)).toMatchObject({
      status: 'running',
      counts: { total: 10, fed: 7, succeeded: 4, failed: 1, canceled: 0, outstanding: 2 },
      rows_per_second: 1,
      started_at: new Date(2000).toISOString(),
      finished_at: null,
      results_uri: 'gs://b/out/batch_1/',
    });
  });

  it('names shards by number under the batch id', () => {
    expect(shardUri(parseBatch(meta)!, 12)).toBe('gs://b/out/batch_1/results-00012.jsonl');
  });

  it('writes a refused line as failed with its error, and an expired prediction as failed', () => {
    const refused = resultLine(3, { e: { code: 'invalid_json', message: 'm' }, c: 'a' }, undefined);
    expect(refused).toEqual({
      custom_id: 'a',
      line: 3,
      prediction_id: null,
      status: 'failed',
      output: null,
      error: { code: 'invalid_json', message: 'm' },
    });
    expect(resultLine(4, { p: 'tiny.x' }, undefined)).toMatchObject({
      prediction_id: 'tiny.x',
      status: 'failed',
      error: { code: 'prediction_not_found' },
    });
  });

  it('writes a canceled prediction as canceled', () => {
    const record = {
      id: 'tiny.y',
      model: 'tiny',
      version: '1',
      status: 'canceled',
      format: 'json',
      output: null,
      error: null,
      createdAt: 1,
      startedAt: null,
      completedAt: 2,
      queueMs: null,
      predictMs: null,
      batchSize: null,
    } satisfies PredictionRecord;
    expect(resultLine(5, { p: 'tiny.y', c: 7 }, record)).toMatchObject({ custom_id: 7, status: 'canceled' });
  });
});
