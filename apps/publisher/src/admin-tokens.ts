// Admin tokens: several, each named and scoped (`read` lists; `write` also changes state).
// Only SHA-256 digests are held, and a presented token is compared with every one of them in
// constant time, so neither timing nor a heap dump gives a secret away. Not the gateway's API
// keys (ALTO_API_KEYS), which guard predictions.
import { createHash, timingSafeEqual } from 'node:crypto';

export const ADMIN_SCOPES = ['read', 'write'] as const;
export type AdminScope = (typeof ADMIN_SCOPES)[number];

export interface AdminToken {
  name: string;
  scope: AdminScope;
  /** SHA-256 of the secret. */
  digest: Buffer;
}

/** Who acts: the token's name and scope. */
export type AdminActor = Pick<AdminToken, 'name' | 'scope'>;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const HASHED = /^sha256:([0-9a-f]{64})$/;
const MIN_SECRET = 16;

export const digestOf = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/**
 * Parses `name:scope:secret` entries (comma- or newline-separated; `#` starts a comment line).
 * A secret spelled `sha256:<64 hex>` is its digest, so a deployment need not hold the secret
 * itself. Throws an Error naming the entry and what was expected.
 */
export function parseAdminTokens(text: string, where = 'ALTO_ADMIN_TOKENS'): AdminToken[] {
  const entries = text
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter((e) => e !== '' && !e.startsWith('#'));
  const tokens: AdminToken[] = [];
  entries.forEach((entry, i) => {
    const at = `${where} entry ${i + 1}`;
    const first = entry.indexOf(':');
    const second = entry.indexOf(':', first + 1);
    if (first < 0 || second < 0)
      throw new Error(`${at}: expected name:scope:secret, got ${entry.length} characters without two ':'`);
    const name = entry.slice(0, first);
    const scope = entry.slice(first + 1, second);
    const secret = entry.slice(second + 1);
    if (!NAME.test(name)) throw new Error(`${at}: name expected 1-64 of A-Z a-z 0-9 _ . -, got '${name}'`);
    if (!(ADMIN_SCOPES as readonly string[]).includes(scope))
      throw new Error(`${at} ('${name}'): scope expected one of ${ADMIN_SCOPES.join(', ')}, got '${scope}'`);
    const hashed = HASHED.exec(secret);
    if (!hashed && secret.length < MIN_SECRET)
      throw new Error(
        `${at} ('${name}'): secret expected at least ${MIN_SECRET} characters or sha256:<64 hex>, got ${secret.length}`,
      );
    if (tokens.some((t) => t.name === name)) throw new Error(`${at}: name '${name}' is used twice`);
    tokens.push({
      name,
      scope: scope as AdminScope,
      digest: hashed ? Buffer.from(hashed[1]!, 'hex') : digestOf(secret),
    });
  });
  return tokens;
}

/**
 * The token `presented` is, or undefined. Every token is compared (no early exit) and each
 * comparison is constant-time over equal-length digests.
 */
export function matchToken(tokens: readonly AdminToken[], presented: string): AdminActor | undefined {
  const d = digestOf(presented);
  let found: AdminToken | undefined;
  for (const t of tokens) if (timingSafeEqual(t.digest, d) && !found) found = t;
  return found && { name: found.name, scope: found.scope };
}

/** Whether `actor` may do what `needs` asks: write covers read. */
export const allows = (actor: AdminActor, needs: AdminScope): boolean => actor.scope === 'write' || needs === 'read';

/**
 * Every admin token of the publisher: ALTO_ADMIN_TOKEN as `default` (write), then
 * ALTO_ADMIN_TOKENS, then the lines of ALTO_ADMIN_TOKENS_FILE. Names must not repeat.
 */
export function collectAdminTokens(o: { token?: string; tokens: AdminToken[]; fileText?: string }): AdminToken[] {
  const all: AdminToken[] = [];
  if (o.token) all.push({ name: 'default', scope: 'write', digest: digestOf(o.token) });
  all.push(...o.tokens);
  if (o.fileText !== undefined) all.push(...parseAdminTokens(o.fileText, 'ALTO_ADMIN_TOKENS_FILE'));
  const seen = new Set<string>();
  for (const t of all) {
    if (seen.has(t.name)) {
      throw new Error(
        `admin token name '${t.name}' is used twice${t.name === 'default' ? " ('default' is ALTO_ADMIN_TOKEN's)" : ''}`,
      );
    }
    seen.add(t.name);
  }
  return all;
}
