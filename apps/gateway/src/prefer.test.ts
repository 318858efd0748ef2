import { describe, expect, it } from 'vitest';
import { parseWait, syncWait } from './prefer.ts';

describe('Prefer: wait', () => {
  it('reads wait=N among other preferences', () => expect(parseWait('respond-async, wait=5', 60)).toBe(5));
  it('takes a bare wait as the maximum', () => expect(parseWait('wait', 60)).toBe(60));
  it('caps N at the maximum', () => expect(parseWait('wait=600', 60)).toBe(60));
  it('is 0 without the header or the preference', () => {
    expect(parseWait(undefined, 60)).toBe(0);
    expect(parseWait('return=minimal', 60)).toBe(0);
  });
  it('refuses a value that is not whole seconds', () => expect(() => parseWait('wait=1.5', 60)).toThrow(/got '1.5'/));
  it('waits the most on synchronous routes unless wait=N asks for less', () => {
    expect(syncWait(undefined, 60)).toBe(60);
    expect(syncWait('return=minimal', 60)).toBe(60);
    expect(syncWait('wait=0', 60)).toBe(0);
    expect(syncWait('respond-async, wait=5', 60)).toBe(5);
    expect(syncWait('wait', 60)).toBe(60);
  });
});
