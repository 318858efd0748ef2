// The batch scripts, one typed wrapper each (see lua/*.lua for each contract).
import { luaScript, unexpected, type LuaScript, type ScriptSpec } from '@alto/queue';
import type { BatchKeys } from './keys.ts';

/** Carried by every command name: bump it when any script's contract changes. */
export const VERSION = 1;

const DIR = new URL('./lua/', import.meta.url);

const batchScript = <P, R>(name: string, spec: Omit<ScriptSpec<P, R>, 'dir' | 'command'>): LuaScript<P, R> =>
  luaScript({ ...spec, dir: DIR, command: `alto_batch_${name}_v${VERSION}` });

interface Ref {
  keys: BatchKeys;
  batch: string;
}
interface Held extends Ref {
  token: string;
}

const named =
  <C extends string>(file: string, codes: readonly C[]) =>
  (reply: unknown): { code: C } => {
    if (typeof reply === 'string' && (codes as readonly string[]).includes(reply)) return { code: reply as C };
    return unexpected(file, reply);
  };

export const lease = batchScript<Held & { ttlMs: number; now: number }, { code: 'OWNED' | 'HELD' | 'GONE' }>('lease', {
  file: 'batch-lease-2.lua',
  outcomes: ['OWNED', 'HELD', 'GONE'],
  keys: (p) => [p.keys.lease(p.batch), p.keys.meta(p.batch)],
  argv: (p) => [p.token, p.ttlMs, p.now],
  decode: named('batch-lease-2.lua', ['OWNED', 'HELD', 'GONE'] as const),
});

export const feed = batchScript<Held & { line: number; entry: string }, { code: 'FED' | 'LOST' | 'STOPPED' }>('feed', {
  file: 'batch-feed-3.lua',
  outcomes: ['FED', 'LOST', 'STOPPED'],
  keys: (p) => [p.keys.meta(p.batch), p.keys.pending(p.batch), p.keys.lease(p.batch)],
  argv: (p) => [p.token, p.line, p.entry],
  decode: named('batch-feed-3.lua', ['FED', 'LOST', 'STOPPED'] as const),
});

export interface SealParams extends Held {
  shard: number;
  record: string;
  succeeded: number;
  failed: number;
  canceled: number;
  lines: number[];
}

export const seal = batchScript<SealParams, { code: 'SEALED' | 'LOST' | 'CONFLICT' }>('seal', {
  file: 'batch-seal-4.lua',
  outcomes: ['SEALED', 'LOST', 'CONFLICT'],
  keys: (p) => [p.keys.meta(p.batch), p.keys.pending(p.batch), p.keys.shards(p.batch), p.keys.lease(p.batch)],
  argv: (p) => [p.token, p.shard, p.record, p.succeeded, p.failed, p.canceled, ...p.lines],
  decode: named('batch-seal-4.lua', ['SEALED', 'LOST', 'CONFLICT'] as const),
});

export const written = batchScript<Held & { shard: number }, { code: 'WRITTEN' | 'LOST' | 'CONFLICT' }>('written', {
  file: 'batch-written-3.lua',
  outcomes: ['WRITTEN', 'LOST', 'CONFLICT'],
  keys: (p) => [p.keys.meta(p.batch), p.keys.shards(p.batch), p.keys.lease(p.batch)],
  argv: (p) => [p.token, p.shard],
  decode: named('batch-written-3.lua', ['WRITTEN', 'LOST', 'CONFLICT'] as const),
});

export interface FinishParams extends Held {
  status: 'succeeded' | 'failed';
  now: number;
  retentionMs: number;
  error?: { code: string; message: string };
}

export type FinishOutcome = { code: 'FINISHED'; status: string } | { code: 'LOST' };

export const finish = batchScript<FinishParams, FinishOutcome>('finish', {
  file: 'batch-finish-2.lua',
  outcomes: ['FINISHED', 'LOST'],
  keys: (p) => [p.keys.meta(p.batch), p.keys.lease(p.batch)],
  argv: (p) => [p.token, p.status, p.now, p.retentionMs, p.error ? JSON.stringify(p.error) : ''],
  decode: (reply) => {
    if (reply === 'LOST') return { code: 'LOST' };
    if (Array.isArray(reply) && reply[0] === 'FINISHED') return { code: 'FINISHED', status: String(reply[1]) };
    return unexpected('batch-finish-2.lua', reply);
  },
});

export type CancelOutcome = { code: 'STATUS'; status: string } | { code: 'GONE' };

export const cancel = batchScript<Ref & { now: number }, CancelOutcome>('cancel', {
  file: 'batch-cancel-1.lua',
  outcomes: ['STATUS', 'GONE'],
  keys: (p) => [p.keys.meta(p.batch)],
  argv: (p) => [p.now],
  decode: (reply) => {
    if (reply === 'GONE') return { code: 'GONE' };
    if (Array.isArray(reply) && reply[0] === 'STATUS') return { code: 'STATUS', status: String(reply[1]) };
    return unexpected('batch-cancel-1.lua', reply);
  },
});

/** Every batch script. */
export const BATCH_SCRIPTS: readonly LuaScript<never, unknown>[] = [lease, feed, seal, written, finish, cancel];
