// The rule that charges a batch's compute time to its requests, and the usage hash's decoding.
import { describe, expect, it } from 'vitest';
import { computeShare, isManagedKeyId, parseKeyUsage, splitCompute, sumUsage } from './key-usage.ts';

describe('splitCompute', () => {
  it('charges each request its share of the rows', () => {
    const shares = splitCompute(1.2, [1, 3, 2]);
    expect(shares[0]).toBeCloseTo(0.2, 12);
    expect(shares[1]).toBeCloseTo(0.6, 12);
    expect(shares[2]).toBeCloseTo(0.4, 12);
  });

  it('charges the whole batch time, no more and no less', () => {
    const rows = [7, 1, 1, 13, 2];
    const shares = splitCompute(0.0371, rows);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(0.0371, 12);
  });

  it('charges a lone request the whole time', () => {
    expect(splitCompute(0.5, [4])).toEqual([0.5]);
  });

  it('charges requests of equal rows equally', () => {
    const shares = splitCompute(0.9, [2, 2, 2]);
    expect(new Set(shares).size).toBe(1);
  });

  it('charges nothing for a batch without rows or time', () => {
    expect(splitCompute(1, [0, 0])).toEqual([0, 0]);
    expect(splitCompute(0, [1, 2])).toEqual([0, 0]);
    expect(splitCompute(Number.NaN, [1])).toEqual([0]);
  });
});

describe('computeShare', () => {
  it("is the time times the request's rows over the batch's rows", () => {
    expect(computeShare(0.04, 3, 4)).toBeCloseTo(0.03, 12);
    expect(computeShare(0.04, 1, 4)).toBeCloseTo(0.01, 12);
  });

  it('never charges more than the whole batch, nor anything without rows or time', () => {
    expect(computeShare(0.04, 5, 4)).toBe(0.04);
    expect(computeShare(0.04, 0, 4)).toBe(0);
    expect(computeShare(0.04, 1, 0)).toBe(0);
    expect(computeShare(-1, 1, 1)).toBe(0);
  });
});

describe('sumUsage', () => {
  it('adds deltas of the same key and model together, keeping others apart', () => {
    const sums = sumUsage([
      { key: 'a', model: 'm', predictions: 1, computeSeconds: 0.5 },
      { key: 'b', model: 'm', predictions: 1, computeSeconds: 0.25 },
      { key: 'a', model: 'm', predictions: 2, computeSeconds: 0.5 },
      { key: 'a', model: 'n', predictions: 1, computeSeconds: 0 },
    ]);
    expect(sums).toEqual([
      { key: 'a', model: 'm', predictions: 3, computeSeconds: 1 },
      { key: 'b', model: 'm', predictions: 1, computeSeconds: 0.25 },
      { key: 'a', model: 'n', predictions: 1, computeSeconds: 0 },
    ]);
  });
});

describe('isManagedKeyId', () => {
  it('tells managed key ids from the other usage keys', () => {
    expect(isManagedKeyId('3f9a0c51d2e7')).toBe(true);
    for (const other of ['anonymous', 'bootstrap', 'unknown', '', '3f9a0c51d2e', '3F9A0C51D2E7']) {
      expect(isManagedKeyId(other)).toBe(false);
    }
  });
});

describe('parseKeyUsage', () => {
  it('reads per-model totals, model names with colons included', () => {
    expect(parseKeyUsage({ 'p:tiny': '3', 's:tiny': '0.125', 'p:team:m': '1', other: 'x' })).toEqual({
      predictions: { tiny: 3, 'team:m': 1 },
      compute_seconds: { tiny: 0.125 },
    });
  });
});
