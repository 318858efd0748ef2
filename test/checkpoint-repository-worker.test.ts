// A worker serving a local repository on its own (ALTO_MODEL_REPOSITORY) reads it by the one
// checkpoint layout: versions are complete by the same rule as the publisher's, version names
// follow the one rule, config.json merges model and version level, and the model-level pin
// chooses the version. Real worker and gateway processes.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT, spawnWorker, startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { getJson, postJson } from './support/http.ts';

const TINY = join(ROOT, 'models/tiny/1/model.onnx');
const input = { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.25) } };

describe('a worker serving a local repository', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('repoworker');
  const repo = mkdtempSync(join(tmpdir(), 'alto-repo-worker-'));
  const put = (rel: string, text?: string) => {
    const p = join(repo, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    if (text === undefined) cpSync(TINY, p);
    else writeFileSync(p, text);
  };
  let worker: Proc;
  let gateway: Proc & { url: string };

  beforeAll(async () => {
    // `latest`: version 2 is still being written, `_tmp` is no version name; 1 is served.
    put('latest/config.json', '{"description": "model level", "max_batch_size": 8}');
    put('latest/1/model.onnx');
    put('latest/1/config.json', '{"description": "version 1"}');
    put('latest/2/model.onnx');
    put('latest/2/_WRITING', '');
    put('latest/_tmp/model.onnx');
    // `pinned`: config.json pins 1 although 3 is complete.
    put('pinned/config.json', '{"version": "1"}');
    put('pinned/1/model.onnx');
    put('pinned/3/model.onnx');
    worker = await startWorker(redisUrl, prefix, { ALTO_MODEL_REPOSITORY: repo });
    gateway = await startGateway(redisUrl, prefix);
  });
  afterAll(async () => {
    await Promise.all([worker?.kill('SIGKILL'), gateway?.kill('SIGKILL')]);
    rmSync(repo, { recursive: true, force: true });
  });

  it('serves the highest complete version, skipping one still being written and folders that are no versions', async () => {
    const r = await getJson(`${gateway.url}/v1/models/latest`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      version: '1',
      versions: ['1'],
      description: 'version 1',
      batching: { max_batch_size: 8 },
    });
    const p = await postJson(
      `${gateway.url}/v1/models/latest/versions/1/predictions`,
      { input },
      { prefer: 'wait=20' },
    );
    expect(p.body).toMatchObject({ status: 'succeeded', version: '1' });
  });

  it('serves the version config.json pins, listing every complete one', async () => {
    const r = await getJson(`${gateway.url}/v1/models/pinned`);
    expect(r.body).toMatchObject({ version: '1', versions: ['1', '3'] });
    const p = await postJson(`${gateway.url}/v1/models/pinned/predictions`, { input }, { prefer: 'wait=20' });
    expect(p.body).toMatchObject({ status: 'succeeded', version: '1' });
  });

  it('refuses to start when a model has no complete version, naming it', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'alto-repo-bad-'));
    try {
      mkdirSync(join(bad, 'empty', '1'), { recursive: true });
      writeFileSync(join(bad, 'empty', '1', '_WRITING'), '');
      cpSync(TINY, join(bad, 'empty', '1', 'model.onnx'));
      const p = spawnWorker(redisUrl, testPrefix('repobad'), { ALTO_MODEL_REPOSITORY: bad });
      expect(await p.exited).toBe(1);
      expect(p.output()).toContain(
        `model 'empty': no complete version under ${join(bad, 'empty')} (expected <version>/model.onnx or model.jax or model.sim)`,
      );
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
