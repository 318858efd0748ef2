// `Prefer: wait=N` (RFC 7240): how long the client is willing to wait for a terminal result.
import { invalidInput } from '@alto/protocol';

/** Seconds to wait (0 = do not wait). `Prefer: wait` alone means the maximum. */
export function parseWait(header: string | undefined, maxSeconds: number): number {
  if (!header) return 0;
  for (const pref of header.split(',')) {
    const [rawName, ...rest] = pref.split('=');
    if (rawName?.trim().toLowerCase() !== 'wait') continue;
    if (rest.length === 0) return maxSeconds;
    const value = rest
      .join('=')
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (!/^\d+$/.test(value)) {
      throw invalidInput(
        `header 'Prefer': wait must be a whole number of seconds from 0 to ${maxSeconds}, got '${value}'`,
      );
    }
    return Math.min(Number(value), maxSeconds);
  }
  return 0;
}

/** A wait preference among a Prefer header's (parseWait reads it; 0 there also means none was given). */
const WAIT = /(^|,)\s*wait\s*(=|,|$)/i;

/**
 * Seconds a synchronous route (TF Serving's :predict, /embed) waits: the most, unless
 * `Prefer: wait=N` asks for less. A Prefer without wait changes nothing.
 */
export function syncWait(header: string | undefined, maxSeconds: number): number {
  return header && WAIT.test(header) ? parseWait(header, maxSeconds) : maxSeconds;
}
