// A model whose weights are ONNX external data, served by real processes: a worker reading a
// local repository in place, and a publisher with a managed worker downloading from gs://
// (fake-gcs-server) into its cache. Predictions equal the plain TypeScript reference of the
// same weights; a version missing its data file is not served.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildTinyModel, buildTinyModelExternal, IN, tinyForward, tinyGraph } from '../scripts/make-tiny-model.ts';
import { encodeModel, withExternalData } from '../scripts/onnx-writer.ts';
import { adminRequest } from './support/admin.ts';
import { createBucket, gcsFixture } from './support/checkpoint-fixtures.ts';
import { startFakeGcs, type FakeGcs } from './support/fake-gcs.ts';
import {
  startGateway,
  startManagedWorker,
  startPublisher,
  startWorker,
  testPrefix,
  type Proc,
} from './support/fleet.ts';
import { getJson, postJson } from './support/http.ts';
import { waitFor } from './support/wait.ts';

const data = Array.from({ length: 2 * IN }, (_, i) => Math.cos(i * 0.11));
const input = { x: { datatype: 'FP32', shape: [2, IN], data } };
const ext = buildTinyModelExternal('tiny.weights');

function expectReference(output: { y: { shape: number[]; data: number[] } }): void {
  expect(output.y.shape).toEqual([2, 10]);
  const ref = tinyForward(Float32Array.from(data), 2);
  expect(output.y.data).toHaveLength(ref.length);
  output.y.data.forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 5));
}

describe('external data from a local repository (worker reads it in place)', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('extlocal');
  const repo = mkdtempSync(join(tmpdir(), 'alto-extdata-repo-'));
  const put = (rel: string, bytes: Uint8Array) => {
    mkdirSync(join(repo, rel, '..'), { recursive: true });
    writeFileSync(join(repo, rel), bytes);
  };
  let worker: Proc;
  let gateway: Proc & { url: string };

  beforeAll(async () => {
    put('tiny/1/model.onnx', buildTinyModel());
    put('tiny/2/model.onnx', ext.model);
    put('tiny/2/tiny.weights', ext.data);
    // Version 3 references its data file, which is not there: not complete.
    put('tiny/3/model.onnx', ext.model);
    worker = await startWorker(redisUrl, prefix, { ALTO_MODEL_REPOSITORY: repo });
    gateway = await startGateway(redisUrl, prefix);
  });
  afterAll(async () => {
    await Promise.all([worker?.kill('SIGKILL'), gateway?.kill('SIGKILL')]);
    rmSync(repo, { recursive: true, force: true });
  });

  it('serves the version with external data, skipping the one missing its data file', async () => {
    const r = await getJson(`${gateway.url}/v1/models/tiny`);
    expect(r.body).toMatchObject({ version: '2', versions: ['1', '2'] });
    const p = await postJson(`${gateway.url}/v1/models/tiny/predictions`, { input }, { prefer: 'wait=20' });
    expect(p.body).toMatchObject({ status: 'succeeded', version: '2' });
    expectReference(p.body.output);
  });
});

describe('external data from gs:// (publisher, managed worker, cache)', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('extgcs');
  const cache = mkdtempSync(join(tmpdir(), 'alto-extdata-gcs-cache-'));
  let gcs: FakeGcs;
  let fixture: ReturnType<typeof gcsFixture>;
  let publisher: Proc & { url: string };
  let gateway: Proc & { url: string };
  let worker: Proc;
  const admin = (method: string, path: string, body?: unknown) => adminRequest(publisher.url, method, path, body);

  beforeAll(async () => {
    gcs = await startFakeGcs({ backend: 'filesystem' });
    const storage = await createBucket(gcs, 'alto-ext');
    fixture = gcsFixture(gcs, storage, 'alto-ext');
    await fixture.put('1/model.onnx', Buffer.from(ext.model));
    await fixture.put('1/tiny.weights', Buffer.from(ext.data));
    const emulator = { STORAGE_EMULATOR_HOST: gcs.endpoint };
    publisher = await startPublisher(redisUrl, prefix, { ...emulator, ALTO_ALLOWED_ROOTS: 'gs://alto-ext/models' });
    gateway = await startGateway(redisUrl, prefix);
    worker = await startManagedWorker(redisUrl, prefix, 'ext-w1', { ...emulator, ALTO_CACHE_DIR: cache });
  });
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill(), publisher?.kill()]);
    await gcs?.stop();
    rmSync(cache, { recursive: true, force: true });
  });

  it('downloads model.onnx with its data file into the cache and serves it', async () => {
    expect((await admin('POST', '/models', { name: 'tiny', uri: fixture.uri })).status).toBe(201);
    await waitFor(
      async () => ((await admin('GET', '/models/tiny')).body.status.state === 'available' ? true : undefined),
      { what: 'tiny (external data) available from gs://', timeoutMs: 60_000 },
    );
    const p = await postJson(`${gateway.url}/v1/models/tiny/predictions`, { input }, { prefer: 'wait=20' });
    expect(p.body).toMatchObject({ status: 'succeeded', version: '1' });
    expectReference(p.body.output);
  });

  it('does not publish a version until its data file is there', async () => {
    const model = async () => (await admin('GET', '/models/tiny')).body;
    await fixture.put('2/model.onnx', Buffer.from(ext.model));
    // Version 3 (embedded weights) arriving after 2 shows a listing that has seen 2's folder.
    await fixture.put('3/model.onnx', Buffer.from(buildTinyModel()));
    const m = await waitFor(async () => ((await model()).status.serving_version === '3' ? await model() : undefined), {
      what: 'version 3 serving',
      timeoutMs: 60_000,
    });
    expect(m.status.versions).toEqual(['1', '3']);
    await fixture.put('2/tiny.weights', Buffer.from(ext.data));
    await waitFor(async () => ((await model()).status.versions.includes('2') ? true : undefined), {
      what: 'version 2 listed once its data file is there',
      timeoutMs: 60_000,
    });
  });

  it('refuses a version whose model.onnx points out of its folder, naming the location', async () => {
    const bad = withExternalData(tinyGraph(), '../1/tiny.weights');
    await fixture.put('4/model.onnx', Buffer.from(encodeModel(bad.graph)));
    const m = await waitFor(
      async () => {
        const body = (await admin('GET', '/models/tiny')).body;
        return body.status.error?.includes('4/model.onnx') ? body : undefined;
      },
      { what: 'version 4 refused', timeoutMs: 60_000 },
    );
    expect(m.status.error).toContain('external data location "../1/tiny.weights" is not a plain file name');
    expect(m.status.serving_version).toBe('3');
    const p = await postJson(`${gateway.url}/v1/models/tiny/predictions`, { input }, { prefer: 'wait=20' });
    expect(p.body).toMatchObject({ status: 'succeeded', version: '3' });
  });
});
