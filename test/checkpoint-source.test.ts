// Both checkpoint sources against one contract: a local directory, and GCS through the real
// @google-cloud/storage client and fake-gcs-server.
import { rm } from 'node:fs/promises';
import type { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe } from 'vitest';
import { describeCheckpointSource } from './support/checkpoint-source-contract.ts';
import { startFakeGcs, type FakeGcs } from './support/fake-gcs.ts';
import { createBucket, gcsFixture, localFixture } from './support/checkpoint-fixtures.ts';

describe('local directory', () => {
  const roots: string[] = [];
  afterAll(async () => {
    for (const r of roots) await rm(r, { recursive: true, force: true });
  });
  describeCheckpointSource('local', async () => {
    const fx = await localFixture();
    roots.push(fx.root);
    return fx;
  });
});

describe('gcs (fake-gcs-server)', () => {
  let gcs: FakeGcs;
  let storage: Storage;
  beforeAll(async () => {
    gcs = await startFakeGcs({ backend: 'filesystem' });
    storage = await createBucket(gcs, 'alto-ckpt');
  });
  afterAll(async () => {
    await gcs?.stop();
  });
  describeCheckpointSource('gcs', async () => gcsFixture(gcs, storage, 'alto-ckpt'));
});
