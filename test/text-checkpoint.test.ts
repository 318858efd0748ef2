// A text model's checkpoint from GCS (fake-gcs-server): listed only once its tokenizer.json is
// there, downloaded and verified into the cache with model.onnx, and the pipeline loaded from
// the cached folder computes the embeddings written out by hand in test/support/text-model.ts.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Storage } from '@google-cloud/storage';
import { PipelineSchema, encodeBytes } from '@alto/protocol';
import { CheckpointCache, openSource } from '@alto/repository';
import { OnnxExecutor, PipelineExecutor, loadTokenizer } from '@alto/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket, gcsFixture } from './support/checkpoint-fixtures.ts';
import { startFakeGcs, type FakeGcs } from './support/fake-gcs.ts';
import {
  HIDDEN,
  embeddingConfig,
  lookupModel,
  referenceEmbedding,
  referenceIds,
  tinyTokenizerJson,
} from './support/text-model.ts';

describe('text checkpoint on gs://', () => {
  let gcs: FakeGcs;
  let storage: Storage;
  let cacheDir: string;
  beforeAll(async () => {
    gcs = await startFakeGcs({ backend: 'filesystem' });
    storage = await createBucket(gcs, 'alto-text');
    cacheDir = await mkdtemp(join(tmpdir(), 'alto-text-cache-'));
  });
  afterAll(async () => {
    await gcs?.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('lists the version with its tokenizer, caches both and serves embeddings from the copy', async () => {
    const fx = gcsFixture(gcs, storage, 'alto-text');
    const source = openSource(fx.uri, fx.options);
    const config = embeddingConfig({ mode: 'mean', normalize: true }, 8);
    await fx.put('1/model.onnx', Buffer.from(lookupModel()));
    await fx.put('1/config.json', config);
    expect(await source.versions()).toEqual([]);
    await fx.put('1/tokenizer.json', tinyTokenizerJson());
    const [v] = await source.versions();
    expect(v!.external).toEqual([expect.objectContaining({ uri: `${fx.uri}/1/tokenizer.json` })]);

    const path = await new CheckpointCache(cacheDir).fetch(source, v!);
    expect(dirname(path).startsWith(cacheDir)).toBe(true);
    const json = await readFile(join(dirname(path), 'tokenizer.json'), 'utf8');
    expect(json).toBe(tinyTokenizerJson());

    const pipeline = PipelineSchema.parse((JSON.parse(config) as { pipeline: unknown }).pipeline);
    const network = await OnnxExecutor.create({ path, session: { executionProviders: ['cpu'] } });
    const executor = PipelineExecutor.create({
      network,
      pipeline,
      tokenizer: loadTokenizer(json, pipeline.tokenizer.max_length, 'cached'),
      where: "model 'text'",
    });
    try {
      const texts = ['a cat sits', 'the kitten runs on the mat'];
      const r = await executor.run({ text: { type: 'string', dims: [2], data: encodeBytes(texts).slice().buffer } });
      const got = new Float32Array(r.outputs.embedding!.data);
      texts.forEach((t, i) => {
        const want = referenceEmbedding(referenceIds(t, 8), 'mean', true);
        for (let k = 0; k < HIDDEN; k++) expect(got[i * HIDDEN + k]).toBeCloseTo(want[k]!, 5);
      });
    } finally {
      await executor.close();
    }
  });
});
