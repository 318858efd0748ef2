// The queue scripts' wrappers against their Lua sources and against Redis Cluster's rule:
// each header agrees with its wrapper (KEYS, ARGV, named outcomes and codes), every key of a
// call shares one hash tag, and replies decode to the outcomes the headers name.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keys as makeKeys } from '../keys.ts';
import { contractProblems, headerSlots, type LuaScript } from '../lua-script.ts';
import {
  QUEUE_SCRIPTS,
  addWaiter,
  VERSION,
  cancel,
  complete,
  enqueue,
  failQueued,
  keyAdmit,
  ownerAdd,
  replay,
  start,
  webhookDelivery,
  type EnqueueParams,
} from './index.ts';

const keys = makeKeys('t');
const text = (file: string) => readFileSync(new URL(`../lua/${file}`, import.meta.url), 'utf8');
const tag = (key: string) => /\{[^}]*\}/.exec(key)?.[0];

const base: EnqueueParams = {
  keys,
  model: 'm',
  id: 'm.1',
  version: '3',
  pinned: false,
  priority: 'normal',
  createdAt: 5,
  format: 'json',
  inputs: Buffer.from('in'),
  maxQueueLength: 0,
  deadline: 0,
  webhook: undefined,
  owner: 'o',
  idempotency: undefined,
  notify: undefined,
};

/** One sample call of every script. */
const samples: [LuaScript<never, unknown>, unknown][] = [
  [enqueue, base],
  [
    start,
    {
      keys,
      model: 'm',
      stream: keys.stream('m', 'high'),
      entryId: '1-0',
      predictionId: 'm.1',
      consumer: 'w',
      now: 1,
      maxDeliveries: 3,
      retentionMs: 9,
    },
  ],
  [
    complete,
    {
      keys,
      model: 'm',
      stream: keys.stream('m'),
      entryId: '1-0',
      predictionId: 'm.1',
      consumer: 'w',
      result: { status: 'succeeded', outputs: Buffer.from('o') },
      now: 1,
      retentionMs: 9,
      queueMs: 1,
      predictMs: 2,
      batchSize: 3,
      noticeMaxBytes: 100,
    },
  ],
  [cancel, { keys, model: 'm', stream: keys.stream('m'), predictionId: 'm.1', now: 1, retentionMs: 9 }],
  [
    failQueued,
    {
      keys,
      model: 'm',
      stream: keys.stream('m'),
      entryId: '1-0',
      predictionId: 'm.1',
      error: { code: 'c', message: 'x' },
      now: 1,
      retentionMs: 9,
    },
  ],
  [replay, { keys, model: 'm', deadEntryId: '1-0', predictionId: 'm.1', now: 1 }],
  [
    webhookDelivery,
    { keys, model: 'm', predictionId: 'm.1', event: 'completed', state: { state: 'pending', attempts: 0 } },
  ],
  [ownerAdd, { keys, owner: 'o', predictionId: 'm.1', createdAt: 1, oldest: 0, retentionMs: 9 }],
  [addWaiter, { keys, model: 'm', predictionId: 'm.1', channel: keys.notices('m', 'g') }],
  [keyAdmit, { keys, keyId: 'k1', rate: 10, burst: 5, maxQueued: 3, predictionId: 'm.1', holdMs: 9 }],
];

describe('queue scripts', () => {
  it('has a sample call of every script', () => {
    expect(samples.map(([s]) => s.command).sort()).toEqual(QUEUE_SCRIPTS.map((s) => s.command).sort());
  });

  it.each(samples.map(([s, p]) => [s.file, s, p] as const))(
    '%s: the header agrees with the wrapper',
    (file, script, params) => {
      const lua = text(file);
      expect(contractProblems(script, lua)).toEqual([]);
      const argv = headerSlots(lua, 'ARGV');
      expect(argv).toEqual(Array.from({ length: argv.length }, (_, i) => i + 1));
      expect(script.args(params as never)).toHaveLength(script.numberOfKeys + argv.length);
    },
  );

  it.each(samples.map(([s, p]) => [s.file, s, p] as const))(
    '%s: every key of a call shares one hash tag',
    (_file, script, params) => {
      const sent = script.args(params as never).slice(0, script.numberOfKeys) as string[];
      const tags = new Set(sent.map(tag));
      expect(tags.size).toBe(1);
      expect([...tags][0]).toMatch(/^\{.+\}$/);
    },
  );

  it('names commands after the script and the contract version', () => {
    expect(enqueue.command).toBe(`alto_enqueue_v${VERSION}`);
    expect(failQueued.command).toBe(`alto_failQueued_v${VERSION}`);
  });

  it('enqueue sends a pinned request to its version stream and counts the other priorities of the same target', () => {
    const sent = enqueue.args({ ...base, pinned: true, priority: 'low' });
    expect(sent.slice(0, 6)).toEqual([
      keys.versionStream('m', '3', 'low'),
      keys.prediction('m', 'm.1'),
      keys.unpublished('m'),
      keys.prediction('m', 'm.1'),
      keys.versionStream('m', '3', 'high'),
      keys.versionStream('m', '3', 'normal'),
    ]);
    expect(sent[6 + 7]).toBe('1');
  });

  it('enqueue names the idempotency key when the request has one', () => {
    const sent = enqueue.args({ ...base, idempotency: { keyHash: 'h', requestHash: 'r', ttlMs: 60 } });
    expect(sent[3]).toBe(keys.idempotency('m', 'o', 'h'));
    expect(sent.slice(6 + 10, 6 + 12)).toEqual(['r', 60]);
  });

  it('decodes each reply into the outcome its header names', () => {
    expect(enqueue.decode('1-0')).toEqual({ code: 'QUEUED', entryId: '1-0' });
    expect(enqueue.decode(['m.0'])).toEqual({ code: 'REPEATED', id: 'm.0' });
    expect([-1, -2, -3, -4].map((r) => enqueue.decode(r))).toEqual(
      ['EXISTS', 'QUEUE_FULL', 'UNPUBLISHED', 'KEY_REUSED'].map((code) => ({ code })),
    );
    expect(start.decode(2)).toEqual({ code: 'RUNNING', deliveries: 2 });
    expect([0, -1, -2, -3, -4].map((r) => start.decode(r))).toEqual(
      ['TERMINAL', 'GONE', 'FENCED', 'POISON', 'EXPIRED'].map((code) => ({ code })),
    );
    expect([1, 0, -1].map((r) => complete.decode(r))).toEqual(['STORED', 'DISCARDED', 'FENCED']);
    expect(cancel.decode(null)).toEqual({ code: 'GONE' });
    expect(cancel.decode('canceled')).toEqual({ code: 'STATUS', status: 'canceled' });
    expect([1, 0].map((r) => failQueued.decode(r))).toEqual(['FAILED', 'NOT_QUEUED']);
    expect(replay.decode(null)).toEqual({ code: 'NOT_FOUND' });
    expect(replay.decode('2-0')).toEqual({ code: 'REPLAYED', entryId: '2-0' });
    expect([1, 0].map((r) => webhookDelivery.decode(r))).toEqual(['STORED', 'GONE']);
    expect(ownerAdd.decode(1)).toBe('ADDED');
    expect(addWaiter.decode(null)).toEqual({ code: 'GONE' });
    expect(addWaiter.decode('running')).toEqual({ code: 'STATUS', status: 'running' });
    expect([0, -1].map((r) => keyAdmit.decode(r))).toEqual([{ code: 'ADMITTED' }, { code: 'QUEUE_LIMIT' }]);
    expect(keyAdmit.decode([250])).toEqual({ code: 'RATE_LIMITED', retryMs: 250 });
  });

  it('refuses a reply no outcome names', () => {
    expect(() => start.decode(-5)).toThrow('start-4.lua replied -5');
    expect(() => complete.decode('1')).toThrow('complete-3.lua replied "1"');
    expect(() => cancel.decode(3)).toThrow('cancel-3.lua replied 3');
  });
});
