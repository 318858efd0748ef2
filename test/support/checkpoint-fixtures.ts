// Checkpoint-store fixtures for the tests: a GCS bucket on fake-gcs-server (filesystem
// backend, so tests can corrupt stored bytes) and a local directory, each written the way a
// publishing job would write them.
import { mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import type { SourceFixture } from './checkpoint-source-contract.ts';
import type { FakeGcs } from './fake-gcs.ts';

let counter = 0;

export async function createBucket(gcs: FakeGcs, bucket: string): Promise<Storage> {
  const storage = new Storage({ apiEndpoint: gcs.endpoint, projectId: 'alto-test' });
  await storage.createBucket(bucket);
  return storage;
}

export function gcsFixture(gcs: FakeGcs, storage: Storage, bucket: string): SourceFixture {
  const prefix = `models/m${process.pid}-${++counter}`;
  const b = storage.bucket(bucket);
  return {
    uri: `gs://${bucket}/${prefix}`,
    options: { gcsEndpoint: gcs.endpoint },
    checksums: true,
    direct: false,
    async put(rel, bytes) {
      await b
        .file(`${prefix}/${rel}`)
        .save(typeof bytes === 'string' ? Buffer.from(bytes) : bytes, { resumable: false });
    },
    async remove(rel) {
      await b.file(`${prefix}/${rel}`).delete();
    },
    async corrupt(rel) {
      // The filesystem backend keeps the object's metadata (md5Hash, crc32c, size) apart from
      // its bytes: flipping bytes in place leaves the metadata describing the original.
      const path = gcs.objectPath(bucket, `${prefix}/${rel}`);
      const bytes = await readFile(path);
      for (let i = 0; i < bytes.length; i += 4096) bytes[i] = bytes[i]! ^ 0xff;
      await writeFile(path, bytes);
    },
  };
}

export async function localFixture(): Promise<SourceFixture & { root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'alto-local-src-'));
  const base = join(root, 'model');
  return {
    root,
    uri: base,
    options: {},
    checksums: false,
    direct: true,
    async put(rel, bytes) {
      const p = join(base, rel);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, bytes);
    },
    async remove(rel) {
      await rm(join(base, rel));
    },
    async corrupt(rel) {
      // A local store records only the size (and mtime) of a file: a truncation is what it can see.
      const p = join(base, rel);
      const { size } = await stat(p);
      await truncate(p, Math.floor(size / 2));
    },
  };
}
