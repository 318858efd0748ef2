// The control plane's script wrappers against their Lua sources: each header agrees with its
// wrapper (KEYS, ARGV, named outcomes and codes), the keys share the `{control}` hash tag,
// and replies decode to the outcomes the headers name.
import { readFileSync } from 'node:fs';
import { contractProblems, headerSlots } from '@alto/queue';
import { describe, expect, it } from 'vitest';
import { controlKeys } from './keys.ts';
import { CONTROL_SCRIPTS, fencedWrite, lease, resign } from './lua.ts';

const keys = controlKeys('t');
const samples = [
  [lease, { keys, candidate: 'a', ttlMs: 100 }],
  [
    fencedWrite,
    { keys, writer: 'a', writes: [['hset', keys.states, 'm', '{}']], messages: [[keys.assignChannel, '*']] },
  ],
  [resign, { keys, candidate: 'a' }],
] as const;

describe('control scripts', () => {
  it('has a sample call of every script', () => {
    expect(samples.map(([s]) => s.command).sort()).toEqual(CONTROL_SCRIPTS.map((s) => s.command).sort());
  });

  it.each(samples.map(([s, p]) => [s.file, s, p] as const))(
    '%s: the header agrees with the wrapper',
    (file, script, params) => {
      const lua = readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');
      expect(contractProblems(script as never, lua)).toEqual([]);
      const sent = (script.args as (p: unknown) => unknown[])(params);
      expect(sent).toHaveLength(script.numberOfKeys + headerSlots(lua, 'ARGV').length);
      for (const key of sent.slice(0, script.numberOfKeys)) expect(key).toMatch(/^t:\{control\}:/);
    },
  );

  it('names commands after the script and the contract version', () => {
    expect([lease, fencedWrite, resign].map((s) => s.command)).toEqual([
      'altoctl_lease_v2',
      'altoctl_fencedWrite_v2',
      'altoctl_resign_v2',
    ]);
  });

  it('decodes each reply into the outcome its header names', () => {
    expect(lease.decode(4)).toEqual({ code: 'LEADS', epoch: 4 });
    expect(lease.decode(0)).toEqual({ code: 'HELD_BY_ANOTHER' });
    expect([1, 0].map((r) => fencedWrite.decode(r))).toEqual(['APPLIED', 'NOT_LEADER']);
    expect([1, 0].map((r) => resign.decode(r))).toEqual(['RELEASED', 'NOT_HELD']);
    expect(() => fencedWrite.decode(2)).toThrow('fenced-write-6.lua replied 2');
  });

  it('sends every hash a fenced write touches through KEYS, named by index, and refuses any other key', () => {
    const sent = fencedWrite.args({
      keys,
      writer: 'a',
      writes: [
        ['hset', keys.models, 'm', '{}'],
        ['hdel', keys.assignments, 'w1'],
      ],
      messages: [],
    });
    expect(sent.slice(0, 6)).toEqual([
      keys.leader,
      keys.states,
      keys.assignments,
      keys.workers,
      keys.models,
      keys.modelVersions,
    ]);
    expect(JSON.parse(sent[7] as string)).toEqual([
      ['hset', 5, 'm', '{}'],
      ['hdel', 3, 'w1'],
    ]);
    expect(() =>
      fencedWrite.args({ keys, writer: 'a', writes: [['hset', keys.specs, 'm', '{}']], messages: [] }),
    ).toThrow(`fenced write to '${keys.specs}'`);
  });
});

describe('control keys', () => {
  it('keeps the key strings running installations hold', () => {
    expect(controlKeys('alto')).toMatchObject({
      specs: 'alto:{control}:specs',
      states: 'alto:{control}:states',
      assignments: 'alto:{control}:assignments',
      workers: 'alto:{control}:workers',
      drained: 'alto:{control}:drained',
      leader: 'alto:{control}:leader',
      epoch: 'alto:{control}:epoch',
      assignChannel: 'alto:assign',
      models: 'alto:{control}:models',
      modelVersions: 'alto:{control}:model-versions',
      catalogChannel: 'alto:catalog',
    });
  });
});
