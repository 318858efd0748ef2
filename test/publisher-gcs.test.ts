// Publishing from GCS end to end: the real @google-cloud/storage client against
// fake-gcs-server, a publisher and a managed worker that downloads through its cache.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminRequest } from './support/admin.ts';
import { createBucket, gcsFixture } from './support/checkpoint-fixtures.ts';
import { startFakeGcs, type FakeGcs } from './support/fake-gcs.ts';
import { ROOT, startGateway, startManagedWorker, startPublisher, testPrefix, type Proc } from './support/fleet.ts';
import { postJson } from './support/http.ts';
import { waitFor } from './support/wait.ts';

describe('publishing from gs://', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('pubgcs');
  const cache = mkdtempSync(join(tmpdir(), 'alto-gcs-cache-'));
  let gcs: FakeGcs;
  let fixture: ReturnType<typeof gcsFixture>;
  let publisher: Proc & { url: string };
  let gateway: Proc & { url: string };
  let worker: Proc;

  const admin = (method: string, path: string, body?: unknown) => adminRequest(publisher.url, method, path, body);
  const x = { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.5) } };

  beforeAll(async () => {
    gcs = await startFakeGcs({ backend: 'filesystem' });
    const storage = await createBucket(gcs, 'alto-models');
    fixture = gcsFixture(gcs, storage, 'alto-models');
    await fixture.put('1/model.onnx', readFileSync(join(ROOT, 'models/tiny/1/model.onnx')));
    const emulator = { STORAGE_EMULATOR_HOST: gcs.endpoint };
    publisher = await startPublisher(redisUrl, prefix, { ...emulator, ALTO_ALLOWED_ROOTS: 'gs://alto-models/models' });
    gateway = await startGateway(redisUrl, prefix);
    worker = await startManagedWorker(redisUrl, prefix, 'gcs-w1', { ...emulator, ALTO_CACHE_DIR: cache });
  });
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill(), publisher?.kill()]);
    await gcs?.stop();
    rmSync(cache, { recursive: true, force: true });
  });

  it('publishes from gs://: downloaded into the cache, loaded, and predictions succeed', async () => {
    const created = await admin('POST', '/models', { name: 'tiny', uri: fixture.uri });
    expect(created.status).toBe(201);
    await waitFor(
      async () => ((await admin('GET', '/models/tiny')).body.status.state === 'available' ? true : undefined),
      {
        what: 'tiny available from gs://',
        timeoutMs: 30_000,
      },
    );
    const r = await postJson(`${gateway.url}/v1/models/tiny/predictions`, { input: x }, { prefer: 'wait=20' });
    expect(r.body.status).toBe('succeeded');
    const { body } = await admin('GET', '/workers');
    expect(body.workers[0].models).toEqual([
      expect.objectContaining({ name: 'tiny', version: '1', state: 'ready', uri: `${fixture.uri}/1/model.onnx` }),
    ]);
  });

  it('rejects a corrupt checkpoint (checksum mismatch), reports it, and keeps the previous version serving', async () => {
    await fixture.put('2/model.onnx', readFileSync(join(ROOT, 'models/tiny/1/model.onnx')));
    await fixture.corrupt('2/model.onnx');
    const failed = await waitFor(
      async () => {
        const m = (await admin('GET', '/models/tiny')).body;
        return m.status.error?.includes('version 2') ? m : undefined;
      },
      { what: 'version 2 rejected', timeoutMs: 30_000 },
    );
    expect(failed.status.error).toMatch(/checksum|crc32c|md5/i);
    expect(failed.status).toMatchObject({ state: 'available', serving_version: '1' });
    const r = await postJson(`${gateway.url}/v1/models/tiny/predictions`, { input: x }, { prefer: 'wait=20' });
    expect(r.body).toMatchObject({ status: 'succeeded', version: '1' });
  });
});
