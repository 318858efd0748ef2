// Admin tokens: parsed with every mistake named, matched by digest, scoped; the failed-login
// limit per address.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { allows, collectAdminTokens, matchToken, parseAdminTokens } from './admin-tokens.ts';
import { AuthLimit } from './auth-limit.ts';

const SECRET_A = 'alice-secret-0123456789';
const SECRET_R = 'reader-secret-0123456789';
const hex = (s: string) => createHash('sha256').update(s).digest('hex');

describe('parseAdminTokens', () => {
  it('reads name:scope:secret entries, comma- or newline-separated, secrets or sha256 digests', () => {
    const tokens = parseAdminTokens(`alice:write:${SECRET_A},\n# a comment\nreader:read:sha256:${hex(SECRET_R)}\n`);
    expect(tokens.map((t) => [t.name, t.scope])).toEqual([
      ['alice', 'write'],
      ['reader', 'read'],
    ]);
    // Only digests are kept.
    expect(JSON.stringify(tokens)).not.toContain(SECRET_A);
    expect(matchToken(tokens, SECRET_R)).toEqual({ name: 'reader', scope: 'read' });
  });

  it.each([
    ['alice', /entry 1: expected name:scope:secret/],
    ['alice:admin:0123456789abcdef', /entry 1 \('alice'\): scope expected one of read, write, got 'admin'/],
    ['alice:write:short', /secret expected at least 16 characters or sha256:<64 hex>, got 5/],
    ['bad name:write:0123456789abcdef', /name expected 1-64 of/],
    [`a:read:${SECRET_A},a:write:${SECRET_R}`, /entry 2: name 'a' is used twice/],
  ])('refuses %j, naming the entry and what was expected', (text, why) => {
    expect(() => parseAdminTokens(text)).toThrow(why);
  });

  it('never shows a secret in an error', () => {
    expect(() => parseAdminTokens('alice:admin:very-secret-value-123')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('very-secret') }),
    );
  });
});

describe('collectAdminTokens', () => {
  it('ALTO_ADMIN_TOKEN is the write token named default, beside the named ones and the file', () => {
    const all = collectAdminTokens({
      token: 'legacy-token-0123456789',
      tokens: parseAdminTokens(`alice:write:${SECRET_A}`),
      fileText: `reader:read:${SECRET_R}\n`,
    });
    expect(all.map((t) => `${t.name}:${t.scope}`)).toEqual(['default:write', 'alice:write', 'reader:read']);
    expect(matchToken(all, 'legacy-token-0123456789')).toEqual({ name: 'default', scope: 'write' });
  });

  it('refuses a name given twice across the sources', () => {
    expect(() =>
      collectAdminTokens({ token: 'legacy-token-0123456789', tokens: parseAdminTokens(`default:read:${SECRET_R}`) }),
    ).toThrow(/'default' is used twice \('default' is ALTO_ADMIN_TOKEN's\)/);
  });
});

describe('matchToken and allows', () => {
  const tokens = parseAdminTokens(`alice:write:${SECRET_A},reader:read:${SECRET_R}`);
  it('matches only the exact secret', () => {
    expect(matchToken(tokens, SECRET_A)).toEqual({ name: 'alice', scope: 'write' });
    expect(matchToken(tokens, `${SECRET_A}x`)).toBeUndefined();
    expect(matchToken(tokens, '')).toBeUndefined();
    expect(matchToken([], SECRET_A)).toBeUndefined();
  });
  it('a read token may read only; a write token may both', () => {
    expect(allows({ name: 'r', scope: 'read' }, 'read')).toBe(true);
    expect(allows({ name: 'r', scope: 'read' }, 'write')).toBe(false);
    expect(allows({ name: 'w', scope: 'write' }, 'read')).toBe(true);
    expect(allows({ name: 'w', scope: 'write' }, 'write')).toBe(true);
  });
});

describe('AuthLimit', () => {
  it('blocks an address after max failures until its window ends, and no other address', () => {
    let now = 1_000;
    const limit = new AuthLimit({ max: 3, windowMs: 10_000, now: () => now });
    for (let i = 0; i < 2; i++) limit.fail('10.0.0.1');
    expect(limit.blockedFor('10.0.0.1')).toBe(0);
    limit.fail('10.0.0.1');
    expect(limit.blockedFor('10.0.0.1')).toBe(10_000);
    expect(limit.blockedFor('10.0.0.2')).toBe(0);
    now += 9_999;
    expect(limit.blockedFor('10.0.0.1')).toBe(1);
    now += 1;
    expect(limit.blockedFor('10.0.0.1')).toBe(0);
    limit.fail('10.0.0.1');
    expect(limit.blockedFor('10.0.0.1')).toBe(0);
  });

  it('tracks at most maxAddresses, dropping the oldest', () => {
    const limit = new AuthLimit({ max: 1, maxAddresses: 2 });
    limit.fail('a');
    limit.fail('b');
    limit.fail('c');
    expect(limit.blockedFor('a')).toBe(0);
    expect(limit.blockedFor('b')).toBeGreaterThan(0);
    expect(limit.blockedFor('c')).toBeGreaterThan(0);
  });
});
