// When to try a webhook delivery again, and what an attempt's result makes of its state.
// The schedule lists the delay before each attempt (the first counts from the event), so its
// length is the number of attempts; every delay but a zero one gets ±20% jitter, so that a
// receiver coming back from an outage is not hit by every pending event at the same instant.
import type { DeliveryState } from '@alto/protocol';

/** Modelled on Standard Webhooks: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE = '0,5s,5m,30m,2h,5h,10h,10h';

/** Longest wait a Retry-After header may ask for; longer ones are cut to it. */
export const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `0`, or a number with a unit: `250ms`, `5s`, `1.5m`, `2h`. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (t === '0') return 0;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(t);
  if (!m) throw new Error(`'${t}' is not a duration (e.g. 0, 250ms, 5s, 5m, 2h)`);
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}

/** ALTO_WEBHOOK_RETRY_SCHEDULE: comma-separated delays, one per attempt. */
export function parseSchedule(text: string): number[] {
  const delays = text.split(',').map(parseDuration);
  if (delays.length > 100) throw new Error(`at most 100 attempts, got ${delays.length}`);
  return delays;
}

/** `ms` ±20%, uniformly. */
export const jitter = (ms: number, random: () => number = Math.random): number =>
  Math.round(ms * (0.8 + 0.4 * random()));

/** Retry-After (seconds or an HTTP date) in ms from `now`, capped; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined) return null;
  const v = value.trim();
  const ms = /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v) - now;
  if (!Number.isFinite(ms)) return null;
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

/** What one attempt got: an HTTP status, or none and why. */
export interface AttemptResult {
  /** HTTP status; null when no response came (connection error, timeout, refused address). */
  status: number | null;
  /** Why it failed; null for a 2xx. */
  error: string | null;
  /** What Retry-After asked for, on a 429 or 503. */
  retryAfterMs: number | null;
}

export const succeeded = (r: AttemptResult): boolean => r.status !== null && r.status >= 200 && r.status < 300;

/**
 * The event's delivery state after attempt number `attempt` (1-based) got `result`, and
 * the delay until the next attempt (null: no further attempt). Only a 2xx delivers; 410
 * Gone stops at once; 429 and 503 wait at least what Retry-After asks.
 */
export function afterAttempt(
  result: AttemptResult,
  attempt: number,
  schedule: readonly number[],
  now = Date.now(),
  random: () => number = Math.random,
): { state: DeliveryState; retryInMs: number | null } {
  const base = { attempts: attempt, last_status: result.status, last_error: result.error, last_attempt_at: now };
  if (succeeded(result)) return { state: { ...base, state: 'delivered', next_attempt_at: null }, retryInMs: null };
  if (result.status === 410 || attempt >= schedule.length) {
    return { state: { ...base, state: 'gave_up', next_attempt_at: null }, retryInMs: null };
  }
  const delay = Math.max(jitter(schedule[attempt]!, random), result.retryAfterMs ?? 0);
  return { state: { ...base, state: 'retrying', next_attempt_at: now + delay }, retryInMs: delay };
}
