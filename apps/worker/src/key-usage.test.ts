// What a stored batch adds to each key's usage: predictions for the outcomes stored, compute by
// rows for the runs that produced outputs.
import type { Entry, Outcome } from '@alto/queue';
import { describe, expect, it } from 'vitest';
import { batchUsage } from './key-usage.ts';

const entry = (key: string, rows: number): Entry =>
  ({
    key,
    inputs: new Map([['x', { datatype: 'FP32', shape: [rows, 4], data: new Float32Array(rows * 4) }]]),
  }) as unknown as Entry;
const ok = (predictMs: number, batchSize: number): Outcome => ({
  kind: 'succeeded',
  outputs: Buffer.alloc(0),
  queueMs: 0,
  predictMs,
  batchSize,
});

describe('batchUsage', () => {
  it("charges each request its rows' share of the run and counts the stored ones", () => {
    const [a, b, c] = [entry('aaaaaaaaaaaa', 3), entry('bbbbbbbbbbbb', 1), entry('bootstrap', 2)];
    const got = batchUsage('m', [a, b, c], [ok(60, 6), ok(60, 6), ok(60, 6)], new Set([a, b, c]));
    expect(got.map((g) => g.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(got.map((g) => g.delta.predictions)).toEqual([1, 1, 1]);
    const seconds = got.map((g) => g.delta.computeSeconds);
    [0.03, 0.01, 0.02].forEach((s, i) => expect(seconds[i]).toBeCloseTo(s, 12));
    expect(got.map((g) => g.delta.key)).toEqual(['aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'bootstrap']);
  });

  it('charges compute but counts no prediction for an outcome not stored (canceled while it ran)', () => {
    const [a, b] = [entry('aaaaaaaaaaaa', 1), entry('aaaaaaaaaaaa', 1)];
    const got = batchUsage('m', [a, b], [ok(10, 2), ok(10, 2)], new Set([a]));
    expect(got[1]).toEqual({
      delta: { key: 'aaaaaaaaaaaa', model: 'm', predictions: 0, computeSeconds: 0.005 },
      status: undefined,
    });
  });

  it('charges no compute for a failed run', () => {
    const e = entry('aaaaaaaaaaaa', 2);
    const failed: Outcome = { kind: 'failed', code: 'x', message: 'y', queueMs: 0, predictMs: 30, batchSize: 2 };
    expect(batchUsage('m', [e], [failed], new Set([e]))).toEqual([
      { delta: { key: 'aaaaaaaaaaaa', model: 'm', predictions: 1, computeSeconds: 0 }, status: 'failed' },
    ]);
  });
});
