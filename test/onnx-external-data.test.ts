// ONNX models with external data (weights in files beside model.onnx), from a local
// repository and from GCS (fake-gcs-server): listed only with every referenced file present,
// downloaded and verified together into the cache, loaded by onnxruntime from there with the
// outputs of the same model with embedded weights.
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Storage } from '@google-cloud/storage';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkpointBytes, CheckpointCache, CheckpointError, openSource, type CheckpointSource } from '@alto/repository';
import { encodeModel, withExternalData } from '../scripts/onnx-writer.ts';
import { buildTinyModel, buildTinyModelExternal, IN, tinyForward, tinyGraph } from '../scripts/make-tiny-model.ts';
import { createBucket, gcsFixture, localFixture } from './support/checkpoint-fixtures.ts';
import type { SourceFixture } from './support/checkpoint-source-contract.ts';
import { startFakeGcs, type FakeGcs } from './support/fake-gcs.ts';

const ROWS = 3;
const x = Float32Array.from({ length: ROWS * IN }, (_, i) => Math.sin(i * 0.37));

async function run(path: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(path);
  try {
    const out = await session.run({ x: new ort.Tensor('float32', x, [ROWS, IN]) });
    return out.y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

async function rejection(p: Promise<unknown>): Promise<CheckpointError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a CheckpointError').toBeInstanceOf(CheckpointError);
  return err as CheckpointError;
}

function externalDataSuite(name: string, makeFixture: () => Promise<SourceFixture>): void {
  describe(`external data: ${name}`, () => {
    let fx: SourceFixture;
    let source: CheckpointSource;
    let cacheDir: string;
    const ext = buildTinyModelExternal('weights.bin');

    beforeEach(async () => {
      fx = await makeFixture();
      source = openSource(fx.uri, fx.options);
      cacheDir = await mkdtemp(join(tmpdir(), 'alto-extdata-cache-'));
      return () => rm(cacheDir, { recursive: true, force: true });
    });

    it('lists a version with its external data file, fetches both and serves the embedded model outputs', async () => {
      await fx.put('1/model.onnx', Buffer.from(buildTinyModel()));
      await fx.put('2/model.onnx', Buffer.from(ext.model));
      await fx.put('2/weights.bin', Buffer.from(ext.data));
      const [v1, v2] = await source.versions();
      expect(v1!.external).toBeUndefined();
      expect(v2!.external).toEqual([
        expect.objectContaining({ uri: `${fx.uri}/2/weights.bin`, size: ext.data.length }),
      ]);
      if (fx.checksums) expect(v2!.external![0]!.crc32c).toMatch(/==$/);
      // Placement counts the weights: all bytes of the version.
      expect(checkpointBytes(v2!)).toBe(ext.model.length + ext.data.length);

      const cache = new CheckpointCache(cacheDir);
      const progress: [number, number][] = [];
      const path = await cache.fetch(source, v2!, (done, total) => progress.push([done, total]));
      if (!fx.direct) {
        expect(dirname(path).startsWith(cacheDir)).toBe(true);
        // The whole checkpoint counts towards progress: model and weights.
        expect(progress.at(-1)).toEqual([ext.model.length + ext.data.length, ext.model.length + ext.data.length]);
        expect(await cache.has(v2!)).toBe(true);
      }
      // download() writes any listed file of the version, verified against its own listing.
      const copy = join(cacheDir, 'weights.copy');
      await source.download({ ...v2!, ...v2!.external![0]! }, copy);
      expect(Buffer.compare(await readFile(copy), Buffer.from(ext.data))).toBe(0);
      const embedded = await run(await cache.fetch(source, v1!));
      const external = await run(path);
      expect(Array.from(external)).toEqual(Array.from(embedded));
      const reference = tinyForward(x, ROWS);
      for (let i = 0; i < reference.length; i++) expect(external[i]).toBeCloseTo(reference[i]!, 5);
    });

    it('a version missing a file its model.onnx references is not complete until the file arrives', async () => {
      // Two tensors in two files: both must be there.
      const half = withExternalData(tinyGraph(), 'a.bin');
      const graph = {
        ...half.graph,
        initializers: half.graph.initializers.map((t, i) =>
          i < 2 ? t : { ...t, external: { location: 'b.bin', offset: t.external!.offset } },
        ),
      };
      await fx.put('3/model.onnx', Buffer.from(encodeModel(graph)));
      await fx.put('3/a.bin', Buffer.from(half.data));
      expect(await source.versions()).toEqual([]);
      await fx.put('3/b.bin', Buffer.from(half.data));
      const [v] = await source.versions();
      expect(v!.external!.map((f) => f.uri)).toEqual([`${fx.uri}/3/a.bin`, `${fx.uri}/3/b.bin`]);
      const out = await run(await new CheckpointCache(cacheDir).fetch(source, v!));
      expect(Array.from(out)).toEqual(Array.from(await run(await writeEmbedded())));
    });

    it('refuses a location that leaves the version folder, naming it', async () => {
      const bad = withExternalData(tinyGraph(), '../weights.bin');
      await fx.put('4/model.onnx', Buffer.from(encodeModel(bad.graph)));
      await fx.put('weights.bin', Buffer.from(bad.data));
      const err = await rejection(source.versions());
      expect(err.code).toBe('invalid_uri');
      expect(err.message).toContain(`${fx.uri}/4/model.onnx: external data location "../weights.bin"`);
    });

    it('refuses external data whose bytes no longer match the listing, caching nothing', async () => {
      await fx.put('5/model.onnx', Buffer.from(ext.model));
      await fx.put('5/weights.bin', Buffer.from(ext.data));
      const [v] = await source.versions();
      // GCS: flipped bytes against the recorded checksums; local: a truncation against the listed size.
      await fx.corrupt('5/weights.bin');
      const cache = new CheckpointCache(cacheDir);
      const err = await rejection(cache.fetch(source, v!));
      expect(err.code).toBe('checksum_mismatch');
      expect(err.message).toContain('5/weights.bin');
      expect(await cache.has(v!)).toBe(false);
      expect(await cache.list()).toEqual([]);
    });

    async function writeEmbedded(): Promise<string> {
      const p = join(cacheDir, 'embedded.onnx');
      await writeFile(p, buildTinyModel());
      return p;
    }
  });
}

describe('local repository', () => {
  const roots: string[] = [];
  afterAll(async () => {
    for (const r of roots) await rm(r, { recursive: true, force: true });
  });
  externalDataSuite('local', async () => {
    const fx = await localFixture();
    roots.push(fx.root);
    return fx;
  });

  it('refuses an external data file that is a symlink', async () => {
    const fx = await localFixture();
    roots.push(fx.root);
    const ext = buildTinyModelExternal('weights.bin');
    await fx.put('1/model.onnx', Buffer.from(ext.model));
    await fx.put('outside.bin', Buffer.from(ext.data));
    await symlink(join(fx.uri, 'outside.bin'), join(fx.uri, '1', 'weights.bin'));
    const err = await rejection(openSource(fx.uri).versions());
    expect(err.code).toBe('invalid_uri');
    expect(err.message).toContain('external data location "weights.bin" is a symlink');
  });
});

describe('gcs (fake-gcs-server)', () => {
  let gcs: FakeGcs;
  let storage: Storage;
  beforeAll(async () => {
    gcs = await startFakeGcs({ backend: 'filesystem' });
    storage = await createBucket(gcs, 'alto-extdata');
  });
  afterAll(async () => {
    await gcs?.stop();
  });
  externalDataSuite('gcs', async () => gcsFixture(gcs, storage, 'alto-extdata'));
});
