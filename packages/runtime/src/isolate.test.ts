import { describe, expect, it } from 'vitest';
import { runIsolating } from './isolate.ts';

const failsOn = (bad: Set<number>, calls: number[][]) => async (group: number[]) => {
  calls.push(group);
  if (group.some((x) => bad.has(x))) throw new Error(`bad in ${group.join(',')}`);
  return group.map((x) => x * 10);
};

describe('runIsolating', () => {
  it('runs a healthy batch once', async () => {
    const calls: number[][] = [];
    const out = await runIsolating([1, 2, 3], failsOn(new Set(), calls));
    expect(calls).toEqual([[1, 2, 3]]);
    expect(out).toEqual([{ items: [1, 2, 3], result: [10, 20, 30] }]);
  });

  it('fails only the culprit and computes every innocent item of its batch', async () => {
    const calls: number[][] = [];
    const out = await runIsolating([1, 2, 3, 4, 5, 6, 7, 8], failsOn(new Set([6]), calls));
    const failed = out.filter((s) => s.error).flatMap((s) => s.items);
    const succeeded = out.filter((s) => !s.error).flatMap((s) => s.items);
    expect(failed).toEqual([6]);
    expect(succeeded.sort()).toEqual([1, 2, 3, 4, 5, 7, 8]);
    expect(calls.length).toBeLessThanOrEqual(1 + 2 * Math.log2(8));
  });

  it('isolates several culprits', async () => {
    const out = await runIsolating([1, 2, 3, 4, 5], failsOn(new Set([1, 5]), []));
    expect(out.filter((s) => s.error).flatMap((s) => s.items)).toEqual([1, 5]);
  });
});
