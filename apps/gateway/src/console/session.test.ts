import { describe, expect, it } from 'vitest';
import { COOKIE, csrfRefusal, readCookie, sessionCookie, sessionSeal } from './session.ts';

describe('console session cookie', () => {
  const seal = sessionSeal('a-secret-of-at-least-thirty-two-characters');

  it('opens what it sealed, and the sealed value does not contain the token', () => {
    const s = seal.create('admin-token-12345678901234567890', 60_000);
    const value = seal.seal(s);
    expect(value).not.toContain('admin-token');
    expect(Buffer.from(value, 'base64url').toString('latin1')).not.toContain('admin-token');
    expect(seal.open(value)).toEqual(s);
  });

  it('refuses an altered value, another secret, an expired session and garbage', () => {
    const s = seal.create('tok', 60_000, 1_000);
    const value = seal.seal(s);
    const raw = Buffer.from(value, 'base64url');
    raw[15] = raw[15]! ^ 1;
    expect(seal.open(raw.toString('base64url'), 2_000)).toBeUndefined();
    expect(sessionSeal('another-secret-of-thirty-two-characters!').open(value, 2_000)).toBeUndefined();
    expect(seal.open(value, 2_000)).toEqual(s);
    expect(seal.open(value, 61_001)).toBeUndefined();
    expect(seal.open('not-a-cookie')).toBeUndefined();
    expect(seal.open(undefined)).toBeUndefined();
  });

  it('gives each session its own CSRF token', () => {
    expect(seal.create('t', 1).csrf).not.toBe(seal.create('t', 1).csrf);
  });

  it('writes an HttpOnly SameSite=Strict cookie, Secure only over TLS, and reads it back', () => {
    expect(sessionCookie('v', { secure: false, maxAgeSeconds: 60 })).toBe(
      `${COOKIE}=v; Path=/console; HttpOnly; SameSite=Strict; Max-Age=60`,
    );
    expect(sessionCookie('v', { secure: true, maxAgeSeconds: 60 })).toMatch(/; Secure$/);
    expect(readCookie(`a=1; ${COOKIE}=xyz; b=2`)).toBe('xyz');
    expect(readCookie('a=1')).toBeUndefined();
  });
});

describe('csrfRefusal', () => {
  const seal = sessionSeal('x'.repeat(32));
  const s = seal.create('t', 60_000);
  const origin = 'http://127.0.0.1:8080';

  it('lets a same-origin request with the session token through', () => {
    expect(csrfRefusal({ origin, referer: undefined, csrf: s.csrf }, origin, s)).toBeUndefined();
    expect(csrfRefusal({ origin: undefined, referer: `${origin}/console/`, csrf: s.csrf }, origin, s)).toBeUndefined();
  });

  it('refuses another origin, naming both', () => {
    expect(csrfRefusal({ origin: 'http://evil.example', referer: undefined, csrf: s.csrf }, origin, s)).toBe(
      `header 'Origin': expected ${origin}, got 'http://evil.example'`,
    );
    expect(csrfRefusal({ origin: undefined, referer: undefined, csrf: s.csrf }, origin, s)).toMatch(/got none$/);
  });

  it('refuses a missing or wrong token', () => {
    expect(csrfRefusal({ origin, referer: undefined, csrf: undefined }, origin, s)).toMatch(/x-alto-csrf.*got none/);
    const other = seal.create('t', 60_000);
    expect(csrfRefusal({ origin, referer: undefined, csrf: other.csrf }, origin, s)).toMatch(/not this session/);
  });

  it('checks only the origin before a session exists (the login form)', () => {
    expect(csrfRefusal({ origin, referer: undefined, csrf: undefined }, origin, undefined)).toBeUndefined();
  });
});
