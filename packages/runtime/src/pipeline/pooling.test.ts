// Pooling and normalisation against sums written out by hand.
import { describe, expect, it } from 'vitest';
import { normalizeRows, pool } from './pooling.ts';

// Two rows, three tokens, width 2: row 0 keeps tokens 0 and 1, row 1 keeps token 0 only.
const hidden = new Float32Array([1, 2, 3, 4, 100, 100, 5, 6, 100, 100, 100, 100]);
const mask = [1, 1, 0, 1, 0, 0];

describe('pooling', () => {
  it('mean averages only the tokens the attention mask keeps', () => {
    expect([...pool('mean', hidden, [2, 3, 2], mask)]).toEqual([2, 3, 5, 6]);
    expect([...pool('mean', hidden, [2, 3, 2], mask.map(BigInt))]).toEqual([2, 3, 5, 6]);
  });

  it('cls takes each row’s first token, whatever the mask', () => {
    expect([...pool('cls', hidden, [2, 3, 2], [0, 0, 0, 0, 0, 0])]).toEqual([1, 2, 5, 6]);
  });

  it('an all-masked row pools to zeros instead of NaN', () => {
    expect([...pool('mean', hidden, [2, 3, 2], [0, 0, 0, 1, 1, 1])].slice(0, 2)).toEqual([0, 0]);
  });

  it('normalize scales every row to unit L2 norm and leaves a zero row alone', () => {
    const x = normalizeRows(new Float32Array([3, 4, 0, 0]), 2);
    expect([...x]).toEqual([...new Float32Array([0.6, 0.8, 0, 0])]);
  });
});
