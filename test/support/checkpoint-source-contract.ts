// The behaviour every CheckpointSource implementation shares, run against each of them
// (local directory, GCS through fake-gcs-server). An implementation-specific fixture writes
// the store directly, the way a publishing job would, and the suite reads it through the source.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointError, openSource, type CheckpointSource, type CheckpointVersion } from '@alto/repository';

export interface SourceFixture {
  /** Base URI of a model folder nothing else uses (it need not exist yet). */
  uri: string;
  /** openSource options this store needs. */
  options: Parameters<typeof openSource>[1];
  /** Writes `rel` (e.g. '3/model.onnx') under the base, as a publisher would. */
  put(rel: string, bytes: Buffer | string): Promise<void>;
  remove(rel: string): Promise<void>;
  /** Changes the stored bytes of `rel` behind the store's back: what the listing recorded no longer matches them. */
  corrupt(rel: string): Promise<void>;
  /** Whether the store records checksums (GCS md5Hash/crc32c). */
  checksums: boolean;
  /** Whether versions are opened in place (directPath). */
  direct: boolean;
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );
const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');

async function rejection(p: Promise<unknown>): Promise<CheckpointError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a CheckpointError').toBeInstanceOf(CheckpointError);
  return err as CheckpointError;
}

export function describeCheckpointSource(name: string, makeFixture: () => Promise<SourceFixture>): void {
  describe(`CheckpointSource contract: ${name}`, () => {
    let fx: SourceFixture;
    let source: CheckpointSource;
    let tmp: string;

    beforeEach(async () => {
      fx = await makeFixture();
      source = openSource(fx.uri, fx.options);
      tmp = await mkdtemp(join(tmpdir(), 'alto-src-'));
    });
    afterEach(async () => {
      await rm(tmp, { recursive: true, force: true });
    });

    const versionNames = async () => (await source.versions()).map((v) => v.version);

    it('keeps the base uri, normalised', () => {
      expect(source.uri).toBe(fx.uri);
      expect(openSource(`${fx.uri}/`, fx.options).uri).toBe(fx.uri);
      expect(openSource(`${fx.uri}/x/..`, fx.options).uri).toBe(fx.uri);
    });

    it('a base with nothing under it has no versions', async () => {
      expect(await source.versions()).toEqual([]);
    });

    it('lists versions ascending, numeric names by value before other names', async () => {
      for (const v of ['10', '9', '100', 'beta', '2', 'alpha']) await fx.put(`${v}/model.onnx`, `model ${v}`);
      expect(await versionNames()).toEqual(['2', '9', '10', '100', 'alpha', 'beta']);
    });

    it('lists only folders whose names follow the version-name rule', async () => {
      for (const v of ['1', '_tmp', '.hidden', '-x', 'A'.repeat(65), 'A'.repeat(64)])
        await fx.put(`${v}/model.onnx`, `model ${v}`);
      expect(await versionNames()).toEqual(['1', 'A'.repeat(64)]);
    });

    it('skips a version folder without model.onnx', async () => {
      await fx.put('1/model.onnx', 'one');
      await fx.put('2/config.json', '{}');
      expect(await versionNames()).toEqual(['1']);
    });

    it('skips a version while its _WRITING marker exists, lists it once the marker is gone', async () => {
      await fx.put('1/model.onnx', 'one');
      await fx.put('2/_WRITING', '');
      await fx.put('2/model.onnx', 'two');
      expect(await versionNames()).toEqual(['1']);
      await fx.remove('2/_WRITING');
      expect(await versionNames()).toEqual(['1', '2']);
    });

    it('lists a version whose config.json declares a pipeline only once its tokenizer file is there', async () => {
      await fx.put('1/model.onnx', 'one');
      await fx.put('1/config.json', JSON.stringify({ pipeline: { tokenizer: { file: 'vocab.json' } } }));
      await fx.put('config.json', JSON.stringify({ pipeline: { tokenizer: {} } }));
      await fx.put('2/model.onnx', 'two');
      expect(await versionNames()).toEqual([]);
      await fx.put('1/vocab.json', '{}');
      await fx.put('2/tokenizer.json', '{}');
      const listed = await source.versions();
      const files = listed.map((v) => (v.external ?? []).map((f) => f.uri.slice(f.uri.lastIndexOf('/') + 1)));
      expect(files).toEqual([['vocab.json'], ['tokenizer.json']]);
      const dest = join(tmp, 'tokenizer.json');
      await source.download({ ...listed[1]!, ...listed[1]!.external![0]! }, dest);
      expect(await readFile(dest, 'utf8')).toBe('{}');
    });

    it('ignores files at the base and files nested deeper than a version folder', async () => {
      await fx.put('model.onnx', 'stray');
      await fx.put('config.json', '{}');
      await fx.put('3/model.onnx', 'three');
      await fx.put('4/sub/model.onnx', 'nested');
      expect(await versionNames()).toEqual(['3']);
    });

    it('describes each version: uri, size, generation and the checksums the store records', async () => {
      const bytes = randomBytes(1000);
      await fx.put('7/model.onnx', bytes);
      const [v] = await source.versions();
      expect(v).toMatchObject({ version: '7', uri: `${fx.uri}/7/model.onnx`, size: 1000 });
      expect(v!.generation).toMatch(/\S/);
      if (fx.checksums) {
        expect(v!.md5).toBe(md5(bytes));
        expect(v!.crc32c).toMatch(/^[A-Za-z0-9+/]{6}==$/);
      }
      // Rewriting the bytes gives a new generation (the cache keys on it).
      await fx.put('7/model.onnx', randomBytes(1001));
      const [again] = await source.versions();
      expect(again!.generation).not.toBe(v!.generation);
    });

    it('reads config.json at model level and at version level, undefined where there is none', async () => {
      await fx.put('1/model.onnx', 'one');
      await fx.put('2/model.onnx', 'two');
      expect(await source.config()).toBeUndefined();
      expect(await source.config('1')).toBeUndefined();
      await fx.put('config.json', '{"max_batch_size": 8}');
      await fx.put('2/config.json', '{"max_batch_size": 4}');
      expect(await source.config()).toBe('{"max_batch_size": 8}');
      expect(await source.config('1')).toBeUndefined();
      expect(await source.config('2')).toBe('{"max_batch_size": 4}');
      expect(await source.config('3')).toBeUndefined();
    });

    it('refuses a version name that could leave the base', async () => {
      for (const bad of ['..', '../x', 'a/b', '']) {
        expect((await rejection(source.config(bad))).code, bad).toBe('invalid_uri');
      }
    });

    it('downloads the exact bytes, progress counting up to the total', async () => {
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      await fx.put('1/model.onnx', bytes);
      const [v] = await source.versions();
      const dest = join(tmp, 'model.onnx');
      const seen: Array<[number, number]> = [];
      await source.download(v!, dest, (done, total) => seen.push([done, total]));
      expect(md5(await readFile(dest))).toBe(md5(bytes));
      expect(seen.length).toBeGreaterThan(1);
      expect(seen.at(-1)).toEqual([bytes.length, bytes.length]);
      for (let i = 1; i < seen.length; i++) expect(seen[i]![0]).toBeGreaterThan(seen[i - 1]![0]);
      expect(seen.every(([, total]) => total === bytes.length)).toBe(true);
    });

    it('downloads an empty model.onnx, reporting 0 of 0', async () => {
      await fx.put('1/model.onnx', Buffer.alloc(0));
      const [v] = await source.versions();
      const seen: Array<[number, number]> = [];
      await source.download(v!, join(tmp, 'm'), (d, t) => seen.push([d, t]));
      expect((await stat(join(tmp, 'm'))).size).toBe(0);
      expect(seen.at(-1)).toEqual([0, 0]);
    });

    it('rejects bytes that no longer match the listing with checksum_mismatch and removes the partial file', async () => {
      await fx.put('1/model.onnx', randomBytes(256 * 1024));
      const [v] = await source.versions();
      await fx.corrupt('1/model.onnx');
      const dest = join(tmp, 'model.onnx');
      const err = await rejection(source.download(v!, dest));
      expect(err.code).toBe('checksum_mismatch');
      expect(err.message).toContain(v!.uri);
      // Same size: only a checksum can tell (GCS); a local store sees the size change.
      expect(err.message).toMatch(
        fx.checksums ? /crc32c: expected [A-Za-z0-9+/]{6}==, got [A-Za-z0-9+/]{6}==/ : /size: expected/,
      );
      expect(await exists(dest)).toBe(false);
    });

    it('a version removed since it was listed is not_found, leaving no file', async () => {
      await fx.put('1/model.onnx', 'one');
      const [v] = await source.versions();
      await fx.remove('1/model.onnx');
      const dest = join(tmp, 'model.onnx');
      expect((await rejection(source.download(v!, dest))).code).toBe('not_found');
      expect(await exists(dest)).toBe(false);
    });

    it('never overwrites an existing destination', async () => {
      await fx.put('1/model.onnx', 'one');
      const [v] = await source.versions();
      const dest = join(tmp, 'model.onnx');
      await writeFile(dest, 'keep me');
      await expect(source.download(v!, dest)).rejects.toThrow(/EEXIST|exists/);
      expect(await readFile(dest, 'utf8')).toBe('keep me');
    });

    it('directPath is the file itself for stores opened in place, else undefined', async () => {
      await fx.put('1/model.onnx', 'one');
      const [v] = (await source.versions()) as [CheckpointVersion];
      const direct = source.directPath(v);
      if (fx.direct) expect(await readFile(direct!, 'utf8')).toBe('one');
      else expect(direct).toBeUndefined();
    });
  });
}
