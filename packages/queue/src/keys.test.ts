// Key building: the strings running installations hold stay as they are, every key of one
// model carries the model's hash tag, and ModelStreams lists a target's streams in priority order.
import { describe, expect, it } from 'vitest';
import { keys as makeKeys, modelStreams, versionStreamsPattern } from './keys.ts';

const keys = makeKeys('alto');

describe('keys', () => {
  it('keeps the key strings running installations hold', () => {
    expect(keys).toMatchObject({
      prefix: 'alto',
      models: 'alto:{control}:models',
      modelVersions: 'alto:{control}:model-versions',
      specs: 'alto:{control}:specs',
      catalogChannel: 'alto:catalog',
      completions: 'alto:completions',
      webhookModels: 'alto:webhook-models',
      webhookQueuePrefix: 'alto:{bull}',
    });
    expect(keys.stream('m')).toBe('alto:{m}:stream');
    expect(keys.stream('m', 'high')).toBe('alto:{m}:stream:high');
    expect(keys.versionStream('m', '2', 'low')).toBe('alto:{m}:v:2:stream:low');
    expect(keys.prediction('m', 'm.1')).toBe('alto:{m}:p:m.1');
    expect(keys.idempotency('m', 'o', 'h')).toBe('alto:{m}:idem:o:h');
    expect(keys.ownerPredictions('o')).toBe('alto:{owner:o}:predictions');
    expect(keys.notices('m', 'g1')).toBe('alto:{m}:notices:g1');
  });

  it('puts every key of one model under its hash tag', () => {
    const ofModel = [
      keys.stream('m', 'low'),
      keys.versionStream('m', '1'),
      keys.unpublished('m'),
      keys.dead('m'),
      keys.prediction('m', 'm.1'),
      keys.replicas('m'),
      keys.idempotency('m', 'o', 'h'),
      keys.outbox('m'),
      keys.notices('m', 'g1'),
    ];
    for (const k of ofModel) expect(k).toMatch(/^alto:\{m\}:/);
  });
});

describe('modelStreams', () => {
  it("lists a model's streams highest priority first", () => {
    const s = modelStreams(keys, 'm');
    expect(s.all).toEqual(['alto:{m}:stream:high', 'alto:{m}:stream', 'alto:{m}:stream:low']);
    expect(s.of('normal')).toBe('alto:{m}:stream');
    expect(s.others('normal')).toEqual(['alto:{m}:stream:high', 'alto:{m}:stream:low']);
    expect(s.version).toBeUndefined();
  });

  it("lists a pinned version's streams, and matches every version's with one pattern", () => {
    const s = modelStreams(keys, 'm', '3');
    expect(s.all).toEqual(['alto:{m}:v:3:stream:high', 'alto:{m}:v:3:stream', 'alto:{m}:v:3:stream:low']);
    expect(s.others('high')).toEqual(['alto:{m}:v:3:stream', 'alto:{m}:v:3:stream:low']);
    expect(versionStreamsPattern(keys, 'm', 'low')).toBe('alto:{m}:v:*:stream:low');
  });
});
