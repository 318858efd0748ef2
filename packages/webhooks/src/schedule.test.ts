import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_SCHEDULE,
  MAX_RETRY_AFTER_MS,
  afterAttempt,
  jitter,
  parseRetryAfter,
  parseSchedule,
} from './schedule.ts';

const fail = (status: number | null, retryAfterMs: number | null = null) => ({
  status,
  error: status === null ? 'ECONNREFUSED' : `HTTP ${status}`,
  retryAfterMs,
});
const ok = { status: 204, error: null, retryAfterMs: null };
const mid = () => 0.5; // no jitter

describe('retry schedule', () => {
  it('defaults to Standard Webhooks: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
    const s = 1000;
    const m = 60 * s;
    const h = 60 * m;
    expect(parseSchedule(DEFAULT_RETRY_SCHEDULE)).toEqual([0, 5 * s, 5 * m, 30 * m, 2 * h, 5 * h, 10 * h, 10 * h]);
    expect(parseSchedule('0, 250ms,1.5s')).toEqual([0, 250, 1500]);
    expect(() => parseSchedule('0,5')).toThrow(/'5' is not a duration/);
    expect(() => parseSchedule('0,,5s')).toThrow(/'' is not a duration/);
    expect(() => parseSchedule('5d')).toThrow(/not a duration/);
  });

  it('jitters every delay within ±20%, and not a zero one', () => {
    expect(jitter(0, () => 0.99)).toBe(0);
    expect(jitter(1000, () => 0)).toBe(800);
    expect(jitter(1000, () => 1)).toBe(1200);
    const seen = new Set(Array.from({ length: 50 }, () => jitter(10_000)));
    for (const d of seen) {
      expect(d).toBeGreaterThanOrEqual(8000);
      expect(d).toBeLessThanOrEqual(12_000);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('a 2xx delivers; anything else retries at the next delay until the schedule ends', () => {
    const schedule = [0, 1000, 5000];
    expect(afterAttempt(ok, 1, schedule, 0, mid)).toEqual({
      state: {
        state: 'delivered',
        attempts: 1,
        last_status: 204,
        last_error: null,
        last_attempt_at: 0,
        next_attempt_at: null,
      },
      retryInMs: null,
    });
    for (const status of [500, 404, 302, 301, 100, null]) {
      const r = afterAttempt(fail(status), 1, schedule, 10, mid);
      expect(r.retryInMs, String(status)).toBe(1000);
      expect(r.state).toMatchObject({ state: 'retrying', attempts: 1, last_status: status, next_attempt_at: 1010 });
    }
    expect(afterAttempt(fail(500), 2, schedule, 0, mid).retryInMs).toBe(5000);
    expect(afterAttempt(fail(500), 3, schedule, 0, mid)).toMatchObject({
      state: { state: 'gave_up', attempts: 3 },
      retryInMs: null,
    });
  });

  it('410 Gone stops at once', () => {
    expect(afterAttempt(fail(410), 1, [0, 1000, 5000], 0, mid)).toMatchObject({
      state: { state: 'gave_up', last_status: 410 },
      retryInMs: null,
    });
  });

  it('Retry-After on 429 / 503 is honoured when longer than the schedule', () => {
    expect(afterAttempt(fail(429, 7000), 1, [0, 1000, 5000], 0, mid).retryInMs).toBe(7000);
    expect(afterAttempt(fail(503, 10), 1, [0, 1000, 5000], 0, mid).retryInMs).toBe(1000);
  });

  it('reads Retry-After as seconds or an HTTP date, capped', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('99999999', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
