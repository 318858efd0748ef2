// The control plane's Lua scripts, one typed wrapper each (see lua/*.lua for each contract).
// Command names carry a version: bump it when a script's contract (KEYS, ARGV, replies) changes.
import { codeOf, defineLuaScripts, luaScript, type LuaScript, type ScriptSpec } from '@alto/queue';
import type { Redis } from 'ioredis';
import type { ControlKeys } from './keys.ts';

export const VERSION = 2;

const DIR = new URL('./lua/', import.meta.url);

const controlScript = <P, R>(name: string, spec: Omit<ScriptSpec<P, R>, 'dir' | 'command'>): LuaScript<P, R> =>
  luaScript({ ...spec, dir: DIR, command: `altoctl_${name}_v${VERSION}` });

/** lease-2.lua's reply other than an epoch, as its `local NAME = <code>` line names it. */
export const LEASE_CODES = { HELD_BY_ANOTHER: 0 } as const;

export type LeaseOutcome = { code: 'LEADS'; epoch: number } | { code: keyof typeof LEASE_CODES };

/** Takes or renews the leader lease. */
export const lease = controlScript<{ keys: ControlKeys; candidate: string; ttlMs: number }, LeaseOutcome>('lease', {
  file: 'lease-2.lua',
  outcomes: ['LEADS', ...Object.keys(LEASE_CODES)],
  codes: LEASE_CODES,
  keys: (p) => [p.keys.leader, p.keys.epoch],
  argv: (p) => [p.candidate, p.ttlMs],
  decode: (reply) => {
    const epoch = Number(reply);
    return epoch > 0 ? { code: 'LEADS', epoch } : { code: codeOf('lease-2.lua', LEASE_CODES, epoch) };
  },
});

/** One write of a fenced batch, naming the hash written by its key. */
export type FencedWrite = ['hset', string, string, string] | ['hdel', string, string];

/** fenced-write-6.lua's replies, as its `local NAME = <code>` lines name them. */
export const FENCED_WRITE_CODES = { APPLIED: 1, NOT_LEADER: 0 } as const;

/** The hashes a fenced write may touch, in the order of the script's KEYS[2..]. */
const fencedHashes = (k: ControlKeys) => [k.states, k.assignments, k.workers, k.models, k.modelVersions];

/**
 * Applies the leader's writes and messages only while `writer` holds the lease. Every hash
 * written goes through KEYS (Redis Cluster); a write to any other key is refused before
 * anything is sent.
 */
export const fencedWrite = controlScript<
  { keys: ControlKeys; writer: string; writes: readonly FencedWrite[]; messages: readonly [string, string][] },
  keyof typeof FENCED_WRITE_CODES
>('fencedWrite', {
  file: 'fenced-write-6.lua',
  outcomes: Object.keys(FENCED_WRITE_CODES),
  codes: FENCED_WRITE_CODES,
  keys: (p) => [p.keys.leader, ...fencedHashes(p.keys)],
  argv: (p) => {
    const hashes = fencedHashes(p.keys);
    const writes = p.writes.map(([op, key, ...rest]) => {
      const i = hashes.indexOf(key);
      if (i < 0) throw new Error(`fenced write to '${key}': only ${hashes.join(', ')} are written under the lease`);
      return [op, i + 2, ...rest];
    });
    return [p.writer, JSON.stringify(writes), JSON.stringify(p.messages)];
  },
  decode: (reply) => codeOf('fenced-write-6.lua', FENCED_WRITE_CODES, reply),
});

/** resign-1.lua's replies, as its `local NAME = <code>` lines name them. */
export const RESIGN_CODES = { RELEASED: 1, NOT_HELD: 0 } as const;

/** Gives the lease up if `candidate` holds it. */
export const resign = controlScript<{ keys: ControlKeys; candidate: string }, keyof typeof RESIGN_CODES>('resign', {
  file: 'resign-1.lua',
  outcomes: Object.keys(RESIGN_CODES),
  codes: RESIGN_CODES,
  keys: (p) => [p.keys.leader],
  argv: (p) => [p.candidate],
  decode: (reply) => codeOf('resign-1.lua', RESIGN_CODES, reply),
});

/** Every control-plane script. */
export const CONTROL_SCRIPTS: readonly LuaScript<never, unknown>[] = [lease, fencedWrite, resign];

export function defineControlScripts(redis: Redis): Redis {
  defineLuaScripts(redis, CONTROL_SCRIPTS);
  return redis;
}
