// The batch scripts' wrappers against their Lua sources (KEYS, ARGV, named outcomes) and
// against Redis Cluster's rule: every key of one call shares the batch's hash tag.
import { readFileSync } from 'node:fs';
import { contractProblems, type LuaScript } from '@alto/queue';
import { describe, expect, it } from 'vitest';
import { batchKeys } from './keys.ts';
import { BATCH_SCRIPTS, cancel, feed, finish, lease, seal, written } from './scripts.ts';

const keys = batchKeys('t');
const ref = { keys, batch: 'b1', token: 'tok' };
const samples: [LuaScript<never, unknown>, unknown][] = [
  [lease, { ...ref, ttlMs: 1, now: 2 }],
  [feed, { ...ref, line: 3, entry: '{}' }],
  [seal, { ...ref, shard: 1, record: '{}', succeeded: 1, failed: 0, canceled: 0, lines: [1, 2] }],
  [written, { ...ref, shard: 1 }],
  [finish, { ...ref, status: 'succeeded', now: 1, retentionMs: 2 }],
  [cancel, { keys, batch: 'b1', now: 1 }],
];

describe('batch scripts', () => {
  it('has a sample call of every script', () => {
    expect(samples.map(([s]) => s.file).sort()).toEqual(BATCH_SCRIPTS.map((s) => s.file).sort());
  });

  it.each(BATCH_SCRIPTS.map((s) => [s.file, s] as const))('%s agrees with its wrapper', (_, s) => {
    const text = readFileSync(new URL(`./lua/${s.file}`, import.meta.url), 'utf8');
    expect(contractProblems(s, text)).toEqual([]);
  });

  it.each(samples.map(([s, p]) => [s.file, s, p] as const))('%s: every key under {batch:b1}', (_, s, p) => {
    const keys = s.args(p as never).slice(0, s.numberOfKeys) as string[];
    expect(keys.every((k) => k.startsWith('t:{batch:b1}:'))).toBe(true);
  });

  it('decodes the replies the headers name', () => {
    expect(lease.decode('OWNED')).toEqual({ code: 'OWNED' });
    expect(finish.decode(['FINISHED', 'canceled'])).toEqual({ code: 'FINISHED', status: 'canceled' });
    expect(cancel.decode(['STATUS', 'succeeded'])).toEqual({ code: 'STATUS', status: 'succeeded' });
    expect(() => feed.decode('NOPE')).toThrow(/contract/);
  });
});
