// How `alto keys` shows usage: totals in the listing, one key's per model.
import { describe, expect, it } from 'vitest';
import { seconds, usageTable } from './keys.ts';

describe('alto keys usage', () => {
  it('writes compute seconds with the precision their size needs', () => {
    expect([0, 0.0123, 3.456, 1234.4].map(seconds)).toEqual(['0s', '0.012s', '3.46s', '1234s']);
  });

  it('lists models busiest first, then a total', () => {
    const table = usageTable({ predictions: { tiny: 12, big: 2, idle: 1 }, compute_seconds: { tiny: 0.5, big: 4 } });
    expect(table.trimEnd().split('\n')).toEqual([
      'MODEL  PREDICTIONS  COMPUTE',
      'big    2            4.00s',
      'tiny   12           0.500s',
      'idle   1            0s',
      'total  15           4.50s',
    ]);
  });
});
