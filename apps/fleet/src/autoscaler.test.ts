import { describe, expect, it } from 'vitest';
import { fleetTarget } from './autoscaler.ts';
import { loadEnv } from './env.ts';

const pools = (...desired: number[]) => ({ pools: desired.map((d, i) => ({ pool: `p${i}`, desired_workers: d })) });

describe('fleetTarget', () => {
  it("follows the busiest pool's desired workers within [min, max]", () => {
    expect(fleetTarget(pools(1, 3), 0, 5)).toBe(3);
    expect(fleetTarget(pools(9), 0, 3)).toBe(3);
    expect(fleetTarget(pools(0), 1, 3)).toBe(1);
    expect(fleetTarget(pools(), 0, 3)).toBe(0);
  });
});

describe('ALTO_WORKERS_MIN / ALTO_WORKERS_MAX', () => {
  it('leave the fixed worker count as it was when unset', () => {
    const env = loadEnv({});
    expect(env.autoscale).toBeUndefined();
    expect(env.ALTO_WORKERS).toBe(1);
  });

  it('turn autoscaling on; a missing bound defaults to 0 and at least 1', () => {
    expect(loadEnv({ ALTO_WORKERS_MIN: '0', ALTO_WORKERS_MAX: '3' }).autoscale).toEqual({ min: 0, max: 3 });
    expect(loadEnv({ ALTO_WORKERS_MAX: '4' }).autoscale).toEqual({ min: 0, max: 4 });
    expect(loadEnv({ ALTO_WORKERS_MIN: '2' }).autoscale).toEqual({ min: 2, max: 2 });
  });

  it('refuse a maximum below the minimum, and a fixed count beside them, naming both', () => {
    expect(() => loadEnv({ ALTO_WORKERS_MIN: '3', ALTO_WORKERS_MAX: '2' })).toThrow(
      'ALTO_WORKERS_MAX: expected at least ALTO_WORKERS_MIN (3), got 2',
    );
    expect(() => loadEnv({ ALTO_WORKERS: '2', ALTO_WORKERS_MAX: '3' })).toThrow(
      'ALTO_WORKERS: a fixed count and ALTO_WORKERS_MIN/MAX (autoscaling) exclude each other; set one',
    );
  });
});
