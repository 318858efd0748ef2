import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelConfigSchema } from '@alto/protocol';
import { parseModelConfig, readModelConfig } from './config.ts';
import type { CheckpointSource } from './source/types.ts';

/** A source that holds only config.json texts: model level under '', versions by name. */
function configs(texts: Record<string, string>): CheckpointSource {
  return {
    uri: '/srv/models/m',
    versions: async () => [],
    config: async (version) => texts[version ?? ''],
    download: async () => {
      throw new Error('not used');
    },
    directPath: () => undefined,
  };
}

describe('parseModelConfig', () => {
  it("accepts the XLA demos' config.json as committed: format, buckets, inputs and outputs with datatypes", () => {
    for (const name of ['tiny-xla', 'conv-xla']) {
      const text = readFileSync(new URL(`../../../models/${name}/config.json`, import.meta.url), 'utf8');
      const config = parseModelConfig(text, name);
      expect(config.format).toBe('xla');
      expect(config.buckets?.length).toBeGreaterThan(0);
      expect(config.inputs?.[0]).toMatchObject({ name: 'x', datatype: 'FP32' });
    }
  });

  it('refuses a bucket that is not a positive integer and a format it does not know', () => {
    expect(() => parseModelConfig('{"buckets": [0, 2]}', 'x')).toThrow(/buckets/);
    expect(() => parseModelConfig('{"format": "tflite"}', 'x')).toThrow(/format/);
  });

  it('accepts every field, each optional', () => {
    expect(parseModelConfig('{}', 'x')).toEqual({});
    const full = {
      description: 'd',
      max_batch_size: 8,
      max_queue_delay_ms: 5,
      max_queue_length: 100,
      timeout_ms: 2000,
      instances: 2,
      inputs: [{ name: 'x', shape: [-1, 3] }],
      version: '3',
    };
    expect(parseModelConfig(JSON.stringify(full), 'x')).toEqual(full);
  });

  it('refuses a misspelt field and bad values, naming the file and each problem', () => {
    expect(() => parseModelConfig('{"max_batch":8}', '/m/config.json')).toThrow(
      /^\/m\/config\.json: \(root\): Unrecognized key: "max_batch"$/,
    );
    expect(() => parseModelConfig('{"max_batch_size":5000,"instances":0}', 'f')).toThrow(
      /max_batch_size: .*4096.*; instances: /,
    );
    expect(() => parseModelConfig('{"version":"../1"}', 'f')).toThrow(/version: version names are 1-64 of/);
    expect(() => parseModelConfig('{', 'f')).toThrow(/^f: not valid JSON/);
  });

  it('a record written by a program is read leniently: unknown fields are dropped, not refused', () => {
    expect(ModelConfigSchema.strip().parse({ max_batch_size: 4, added_later: true })).toEqual({ max_batch_size: 4 });
  });
});

describe('readModelConfig', () => {
  it("merges the model's config.json and the version's, the version's fields winning, without the version pin", async () => {
    const source = configs({
      '': '{"max_batch_size": 8, "timeout_ms": 100, "version": "2", "description": "model"}',
      '2': '{"max_batch_size": 4, "instances": 2}',
    });
    expect(await readModelConfig(source, '2')).toEqual({
      max_batch_size: 4,
      timeout_ms: 100,
      description: 'model',
      instances: 2,
    });
    expect(await readModelConfig(source, '1')).toEqual({ max_batch_size: 8, timeout_ms: 100, description: 'model' });
    expect(await readModelConfig(configs({}), '1')).toEqual({});
  });

  it('names the file that is wrong', async () => {
    await expect(readModelConfig(configs({ '3': '{"bogus": 1}' }), '3')).rejects.toThrow(
      /^\/srv\/models\/m\/3\/config\.json: /,
    );
  });
});
