import { describe, expect, it } from 'vitest';
import { Accepted, Ring, quantile, rate } from './series.ts';

describe('console series', () => {
  it('keeps the newest samples of a ring, oldest first', () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.list()).toEqual([3, 4, 5]);
    expect(r.last()).toBe(5);
  });

  it('takes nearest-rank quantiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0.99)).toBe(99);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNull();
  });

  it('turns counter readings into a rate, counting a reset from zero', () => {
    expect(rate(undefined, 10, 5)).toBe(0);
    expect(rate(10, 20, 5)).toBe(2);
    expect(rate(20, 5, 5)).toBe(1);
  });

  it('lists the newest accepted ids first and forgets finished ones', () => {
    const a = new Accepted(2, 10);
    a.add('m', 'm.1');
    a.add('m', 'm.2');
    a.add('m', 'm.3');
    expect(a.newest('m', 5)).toEqual(['m.3', 'm.2']);
    expect(a.unfinished('m')).toEqual(['m.1', 'm.2', 'm.3']);
    a.finished('m', 'm.2');
    expect(a.unfinished('m')).toEqual(['m.1', 'm.3']);
    expect(a.newest('other', 5)).toEqual([]);
  });
});
