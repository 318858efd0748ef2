// The network's token inputs: INT64, padded with the pad id to the longest row, mask 0 there.
import { describe, expect, it } from 'vitest';
import { buildFeatures } from './features.ts';

const rows = [
  { ids: [2, 5, 3], typeIds: [0, 0, 0] },
  { ids: [2, 3], typeIds: [0, 1] },
];

describe('buildFeatures', () => {
  it('pads to the longest row and builds only the inputs asked for', () => {
    const f = buildFeatures(rows, ['input_ids', 'token_type_ids'], 7);
    expect(f.seq).toBe(3);
    expect(Object.keys(f.feeds)).toEqual(['input_ids', 'token_type_ids']);
    expect(f.feeds.input_ids!.dims).toEqual([2, 3]);
    expect([...new BigInt64Array(f.feeds.input_ids!.data)]).toEqual([2n, 5n, 3n, 2n, 3n, 7n]);
    expect([...new BigInt64Array(f.feeds.token_type_ids!.data)]).toEqual([0n, 0n, 0n, 0n, 1n, 0n]);
    expect([...f.mask]).toEqual([1n, 1n, 1n, 1n, 1n, 0n]);
  });

  it('gives a batch of empty texts one masked slot', () => {
    const f = buildFeatures([{ ids: [], typeIds: [] }], ['input_ids', 'attention_mask'], 0);
    expect(f.seq).toBe(1);
    expect([...new BigInt64Array(f.feeds.attention_mask!.data)]).toEqual([0n]);
  });
});
