// Length grouping: which rows of a micro-batch share one padded inference.
import { describe, expect, it } from 'vitest';
import { MIN_SAVED_SLOTS, lengthGroups } from './length-groups.ts';

describe('lengthGroups', () => {
  it('keeps a batch of similar lengths together, sorted by length', () => {
    expect(lengthGroups([12, 9, 15, 10])).toEqual([[1, 3, 0, 2]]);
  });

  it('keeps one long text with short ones when splitting would save little padding', () => {
    expect(lengthGroups([8, 9, 100])).toEqual([[0, 1, 2]]);
  });

  it('splits where the padding saved reaches MIN_SAVED_SLOTS', () => {
    const lengths = [...Array.from({ length: 10 }, () => 10), 256, 250];
    const waste = 10 * (250 - 10);
    expect(waste).toBeGreaterThanOrEqual(MIN_SAVED_SLOTS);
    expect(lengthGroups(lengths)).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [11, 10],
    ]);
  });

  it('gives every row exactly once', () => {
    const lengths = Array.from({ length: 64 }, (_, i) => ((i * 37) % 200) + 3);
    expect(
      lengthGroups(lengths)
        .flat()
        .sort((a, b) => a - b),
    ).toEqual(lengths.map((_, i) => i));
  });
});
