// key-admit-2.lua: admits one request of a managed API key (queued limit, token bucket).
import type { Keys } from '../keys.ts';
import { queueScript, unexpected } from './queue-script.ts';

export interface KeyAdmitParams {
  keys: Keys;
  /** The API key's id. */
  keyId: string;
  /** Requests per second; 0 = none. */
  rate: number;
  /** Bucket size, at least 1. */
  burst: number;
  /** Most predictions outstanding; 0 = none. */
  maxQueued: number;
  predictionId: string;
  /** How long an id counts at most (ms). */
  holdMs: number;
}

/** The script's numeric replies, as its `local NAME = <code>` lines name them. */
export const KEY_ADMIT_CODES = { ADMITTED: 0, QUEUE_LIMIT: -1 } as const;

export type KeyAdmitOutcome =
  | { code: 'ADMITTED' }
  | { code: 'QUEUE_LIMIT' }
  /** The bucket is empty: a token is back in `retryMs`. */
  | { code: 'RATE_LIMITED'; retryMs: number };

export const keyAdmit = queueScript<KeyAdmitParams, KeyAdmitOutcome>('keyAdmit', {
  file: 'key-admit-2.lua',
  outcomes: ['ADMITTED', 'QUEUE_LIMIT', 'RATE_LIMITED'],
  codes: KEY_ADMIT_CODES,
  keys: (p) => [p.keys.apiKeyBucket(p.keyId), p.keys.apiKeyOutstanding(p.keyId)],
  argv: (p) => [p.rate, Math.max(1, p.burst), p.maxQueued, p.predictionId, p.holdMs],
  decode: (reply) => {
    if (reply === KEY_ADMIT_CODES.ADMITTED) return { code: 'ADMITTED' };
    if (reply === KEY_ADMIT_CODES.QUEUE_LIMIT) return { code: 'QUEUE_LIMIT' };
    if (Array.isArray(reply) && typeof reply[0] === 'number') return { code: 'RATE_LIMITED', retryMs: reply[0] };
    return unexpected('key-admit-2.lua', reply);
  },
});
