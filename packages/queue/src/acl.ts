// Redis ACL users per role of the fleet, so that a compromised host holds only its role's
// rights: each role may run Alto's commands (no @dangerous or @admin ones: no FLUSHALL,
// CONFIG, KEYS, DEBUG, ACL) on the key and channel patterns it needs. The patterns follow the
// hash tags of keys.ts: `<prefix>:{control}:*` is the control plane and catalog, `{bull}` the
// webhook queue, every other `<prefix>:{...}` a model's (or a caller's) keys.
import type { Redis } from 'ioredis';

export const REDIS_ROLES = ['gateway', 'worker', 'publisher', 'dispatcher'] as const;
export type RedisRole = (typeof REDIS_ROLES)[number];

export interface RedisCredentials {
  username: string;
  password: string;
}

/**
 * Glob patterns matching every `<head><tag>}...` whose tag is none of `excluded`: Redis ACL
 * patterns can only allow, so the complement of a few tags is spelled as a trie of `[^...]`
 * classes (`{[^bc]*`, `{c[^o]*`, ..., `{control[^}]*`).
 */
export function tagsExcept(head: string, excluded: readonly string[]): string[] {
  if (excluded.length === 0) return [`${head}*`];
  const words = excluded.map((w) => `${w}}`);
  const patterns: string[] = [];
  const walk = (prefix: string) => {
    const live = words.filter((w) => w.startsWith(prefix) && w !== prefix);
    if (live.length === 0) return;
    const next = [...new Set(live.map((w) => w[prefix.length]!))].sort();
    patterns.push(`${head}${prefix}[^${next.join('')}]*`);
    for (const c of next) walk(prefix + c);
  };
  walk('');
  return patterns;
}

/** Commands every role may run: all but the dangerous and administrative ones, INFO excepted (memory checks). */
const BASE = ['resetkeys', 'resetchannels', '-@all', '+@all', '-@dangerous', '-@admin', '+info'];

/** Consuming a stream: only workers (and the publisher, which releases a dead worker's entries). */
const CONSUME = ['-xack', '-xclaim', '-xautoclaim', '-xreadgroup', '-xgroup', '-xsetid'];

/**
 * The ACL rules of `role` for the installation under `prefix` (ACL SETUSER's arguments,
 * without `on` and the password). Throws on a prefix with glob characters (keyPrefix allows none).
 */
export function aclRules(role: RedisRole, prefix: string): string[] {
  if (!/^[A-Za-z0-9_.-]+$/.test(prefix)) throw new Error(`prefix '${prefix}': letters, digits, _ . - only`);
  const control = `${prefix}:{control}:*`;
  const tags = tagsExcept(`${prefix}:{`, ['control', 'bull']);
  const models = tags.map((p) => `~${p}`);
  // A model's shard channels (`<prefix>:{<model>}:notices:<gateway>`, SPUBLISH / SSUBSCRIBE).
  const modelChannels = tags.map((p) => `&${p}`);
  const bull = `~${prefix}:{bull}:*`;
  switch (role) {
    case 'publisher':
      // The control plane: every key and channel of the installation (never another's).
      return [...BASE, `~${prefix}:*`, `&${prefix}:*`];
    case 'gateway':
      // Enqueues, reads and cancels predictions; reads the catalog; never consumes a stream.
      return [
        ...BASE,
        ...CONSUME,
        `%R~${control}`,
        ...models,
        `~${prefix}:webhook-models`,
        `&${prefix}:catalog`,
        `&${prefix}:completions`,
        ...modelChannels,
      ];
    case 'worker':
      // Consumes its models' streams and completes predictions; writes only its own report.
      return [
        ...BASE,
        `%R~${control}`,
        `~${prefix}:{control}:workers`,
        ...models,
        `&${prefix}:assign`,
        `&${prefix}:catalog`,
        `&${prefix}:completions`,
        ...modelChannels,
      ];
    case 'dispatcher':
      // Reads the outboxes, records deliveries on predictions, runs the webhook queue.
      return [...BASE, ...models, bull, `%R~${prefix}:webhook-models`, `&${prefix}:*`];
    default: {
      const never: never = role;
      throw new Error(`unknown role ${String(never)}`);
    }
  }
}

/** Creates (or resets) each role's user with its rules; `admin` must be allowed ACL SETUSER. */
export async function createAclUsers(
  admin: Redis,
  prefix: string,
  users: Partial<Record<RedisRole, RedisCredentials>>,
): Promise<void> {
  for (const [role, c] of Object.entries(users) as [RedisRole, RedisCredentials][]) {
    await admin.call('ACL', 'SETUSER', c.username, 'reset', 'on', `>${c.password}`, ...aclRules(role, prefix));
  }
}

/** `redis://user:password@host:port` from a URL without credentials. */
export function urlWithUser(url: string, c: RedisCredentials): string {
  const u = new URL(url);
  u.username = encodeURIComponent(c.username);
  u.password = encodeURIComponent(c.password);
  return u.toString().replace(/\/$/, '');
}
