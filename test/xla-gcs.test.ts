// An XLA export whose weights sit in params.npz, published in GCS (fake-gcs-server): the
// listing carries the params file, the cache downloads it with model.jax (verified, into the
// same folder), new weights under the same model.jax make a new copy, and the XLA runtime
// serves the downloaded copy exactly as the committed local one.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointCache, openSource } from '@alto/repository';
import { XlaExecutor, XlaRuntime, type RawTensor } from '@alto/runtime';
import { createBucket } from './support/checkpoint-fixtures.ts';
import { startFakeGcs, type FakeGcs } from './support/fake-gcs.ts';
import { randomFloats } from './support/http.ts';
import { XLA_INSTALL_TIMEOUT_MS, xlaModelDir, xlaPython } from './support/xla.ts';

const BUCKET = 'alto-xla';
const conv = (rel: string) => readFileSync(join(dirname(xlaModelDir('conv-xla')), rel));

describe('an XLA checkpoint with a params file in GCS', () => {
  let gcs: FakeGcs;
  let runtime: XlaRuntime;
  const cacheDir = mkdtempSync(join(tmpdir(), 'alto-xla-gcs-'));
  const uri = `gs://${BUCKET}/models/conv-xla`;

  beforeAll(async () => {
    runtime = new XlaRuntime({ python: xlaPython(), env: { JAX_PLATFORMS: 'cpu' } });
    gcs = await startFakeGcs();
    const bucket = (await createBucket(gcs, BUCKET)).bucket(BUCKET);
    for (const rel of ['config.json', '1/model.jax', '1/params.npz'])
      await bucket.file(`models/conv-xla/${rel}`).save(conv(rel), { resumable: false });
  }, XLA_INSTALL_TIMEOUT_MS);
  afterAll(async () => {
    await runtime?.close();
    await gcs?.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('lists the params file, downloads it beside model.jax and serves the copy as the local export', async () => {
    const source = openSource(uri, { gcsEndpoint: gcs.endpoint });
    const [v] = await source.versions();
    expect(v?.uri).toBe(`${uri}/1/model.jax`);
    expect(v?.params).toMatchObject({ uri: `${uri}/1/params.npz`, size: conv('1/params.npz').byteLength });

    const path = await new CheckpointCache(cacheDir).fetch(source, v!);
    expect(readFileSync(join(dirname(path), 'params.npz')).equals(conv('1/params.npz'))).toBe(true);

    const x = randomFloats(2 * 3 * 48 * 192, 51);
    const feeds = (): Record<string, RawTensor> => ({
      x: { type: 'float32', dims: [2, 3, 48, 192], data: x.slice().buffer },
    });
    // As the worker does: the config travels with the load, since the cache folder has no config.json above it.
    const { inputs, outputs } = JSON.parse(conv('config.json').toString()) as Record<string, unknown>;
    const opened = (dir: string, version: string) =>
      XlaExecutor.create({ runtime, model: 'conv-xla', version, dir, buckets: [2], config: { inputs, outputs } });
    const [copy, local] = await Promise.all([opened(dirname(path), 'gcs'), opened(xlaModelDir('conv-xla'), '1')]);
    try {
      const a = new Float32Array((await copy.run(feeds())).outputs.probs!.data);
      const b = new Float32Array((await local.run(feeds())).outputs.probs!.data);
      expect([...a]).toEqual([...b]);
    } finally {
      await Promise.all([copy.close(), local.close()]);
    }
  }, 120_000);

  it('new weights under the same model.jax are a new cache copy, not the old one', async () => {
    const source = openSource(uri, { gcsEndpoint: gcs.endpoint });
    const [before] = await source.versions();
    const storage = await import('@google-cloud/storage');
    const bucket = new storage.Storage({ apiEndpoint: gcs.endpoint, projectId: 'alto-test' }).bucket(BUCKET);
    await bucket.file('models/conv-xla/1/params.npz').save(conv('1/params.npz'), { resumable: false });
    const [after] = await source.versions();
    expect(after!.generation).toBe(before!.generation);
    expect(after!.params!.generation).not.toBe(before!.params!.generation);
    expect(CheckpointCache.key(after!)).not.toBe(CheckpointCache.key(before!));
    const cache = new CheckpointCache(cacheDir);
    expect(await cache.has(after!)).toBe(false);
    await cache.fetch(source, after!);
    expect(await cache.has(after!)).toBe(true);
  });
});
