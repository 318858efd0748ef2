import { describe, expect, it } from 'vitest';
import { chooseVersion } from './resolve.ts';
import type { CheckpointSource, CheckpointVersion } from './source/types.ts';

const v = (version: string): CheckpointVersion => ({
  version,
  uri: `/m/${version}/model.onnx`,
  size: 1,
  generation: 'g',
});

function source(versions: string[], texts: Record<string, string> = {}): CheckpointSource {
  return {
    uri: '/m',
    versions: async () => versions.map(v),
    config: async (version) => texts[version ?? ''],
    download: async () => {
      throw new Error('not used');
    },
    directPath: (c) => c.uri,
  };
}

describe('chooseVersion', () => {
  it('takes the highest complete version and lists them all', async () => {
    const chosen = await chooseVersion(source(['2', '10']), 'm');
    expect(chosen.checkpoint.version).toBe('10');
    expect(chosen.versions).toEqual(['2', '10']);
  });

  it("takes the version the model's config.json pins, with that version's config", async () => {
    const chosen = await chooseVersion(
      source(['1', '2'], { '': '{"version": "1", "max_batch_size": 8}', '1': '{"max_batch_size": 2}' }),
      'm',
    );
    expect(chosen.checkpoint.version).toBe('1');
    expect(chosen.config).toEqual({ max_batch_size: 2 });
  });

  it('fails naming the pin and the versions there are, or saying there are none', async () => {
    await expect(chooseVersion(source(['1', '2'], { '': '{"version": "3"}' }), 'm')).rejects.toThrow(
      "model 'm': config.json pins version '3', but the complete versions are 1, 2",
    );
    await expect(chooseVersion(source([]), 'm')).rejects.toThrow(
      "model 'm': no complete version under /m (expected <version>/model.onnx or model.jax or model.sim)",
    );
  });
});
