// API keys (ALTO_API_KEYS) on real gateway and worker processes: the prediction routes need
// a valid bearer key, each prediction is visible only to the key that created it, the open
// routes stay open, and without keys the gateway refuses to listen beyond loopback.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT, startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { getJson, postJson } from './support/http.ts';
import { waitFor } from './support/wait.ts';

const KEY_A = 'alto-test-key-aaaaaaaaaaaaaaaa';
const KEY_B = 'alto-test-key-bbbbbbbbbbbbbbbb';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const tinyBody = { input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.25) } } };

describe('API keys', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('auth');
  let worker: Proc;
  let gateway: Proc & { url: string };

  beforeAll(async () => {
    worker = await startWorker(redisUrl, prefix, { ALTO_MODELS: 'tiny' });
    // Keys set: any address may be listened on.
    gateway = await startGateway(redisUrl, prefix, {
      ALTO_API_KEYS: ` ${KEY_A}, ${KEY_B} `,
      ALTO_HOST: '0.0.0.0',
      ALTO_LOG_LEVEL: 'info',
    });
  });
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill()]);
  });

  const post = (path: string, headers: Record<string, string> = {}, body: unknown = tinyBody) =>
    postJson(`${gateway.url}${path}`, body, headers);

  it('logs that keys are required', () => {
    expect(gateway.output()).toContain('API keys required on the prediction routes');
    expect(gateway.output()).not.toContain(KEY_A);
  });

  it('refuses the prediction routes without a key, or with an unknown or malformed one, with 401 naming the header', async () => {
    const id = 'tiny.01m83xqsfwmba2gkx4nf4d8kb9';
    const attempts: [string, Promise<{ status: number; headers: Headers; body: any }>][] = [];
    for (const headers of [
      {},
      bearer('alto-test-key-cccccccccccccccc'),
      { authorization: KEY_A },
      { authorization: `Basic ${KEY_A}` },
    ]) {
      attempts.push(
        ['create', post('/v1/models/tiny/predictions', headers)],
        ['create version', post('/v1/models/tiny/versions/1/predictions', headers)],
        ['get', getJson(`${gateway.url}/v1/predictions/${id}`, headers)],
        ['cancel', post(`/v1/predictions/${id}/cancel`, headers, '')],
        ['list', getJson(`${gateway.url}/v1/predictions`, headers)],
      );
    }
    for (const [what, reply] of attempts) {
      const r = await reply;
      expect(r.status, what).toBe(401);
      expect(r.body.error.code, what).toBe('unauthorized');
      expect(r.body.error.message, what).toMatch(/header 'Authorization'/);
      expect(r.headers.get('www-authenticate'), what).toMatch(/^Bearer/);
    }
    // Nothing was queued by the refused requests.
    const none = await getJson(`${gateway.url}/v1/predictions`, bearer(KEY_A));
    expect(none.body.predictions).toEqual([]);
  });

  it('an unknown model still gets 401 first: a caller without a key learns nothing about the catalog', async () => {
    const r = await post('/v1/models/nope/predictions');
    expect(r.status).toBe(401);
  });

  it('keeps health, readiness, metrics, the document and the model list open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/v1/models', '/v1/models/tiny']) {
      const r = await fetch(`${gateway.url}${path}`);
      expect(r.status, path).toBe(200);
    }
  });

  it('serves a valid key end to end, and only the creating key sees and cancels its prediction', async () => {
    const created = await post('/v1/models/tiny/predictions', bearer(KEY_A));
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    const done = await waitFor(
      async () => {
        const r = await getJson(`${gateway.url}/v1/predictions/${id}`, bearer(KEY_A));
        return r.body.status === 'succeeded' ? r : undefined;
      },
      { what: `prediction ${id}` },
    );
    expect(done.body.output.y.shape).toEqual([1, 10]);

    // Key B: the prediction does not exist, for reading and for canceling (404, not 403).
    const other = await getJson(`${gateway.url}/v1/predictions/${id}`, bearer(KEY_B));
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('prediction_not_found');
    const missing = await getJson(`${gateway.url}/v1/predictions/tiny.01m83xqsfwmba2gkx4nf4d8kb9`, bearer(KEY_B));
    expect(other.body.error.message).toBe(missing.body.error.message.replace('tiny.01m83xqsfwmba2gkx4nf4d8kb9', id));
    const cancelB = await post(`/v1/predictions/${id}/cancel`, bearer(KEY_B), '');
    expect(cancelB.status).toBe(404);
  });

  it('another key cannot cancel a queued prediction; its own key can', async () => {
    // The worker may run it before either cancel: B's cancel must leave it uncanceled either way.
    const created = await post('/v1/models/tiny/predictions', bearer(KEY_A));
    const id = created.body.id as string;
    const cancelB = await post(`/v1/predictions/${id}/cancel`, bearer(KEY_B), '');
    expect(cancelB.status).toBe(404);
    const after = await getJson(`${gateway.url}/v1/predictions/${id}`, bearer(KEY_A));
    expect(after.body.status).not.toBe('canceled');
    const cancelA = await post(`/v1/predictions/${id}/cancel`, bearer(KEY_A), '');
    expect(cancelA.status).toBe(200);
    expect(cancelA.body.id).toBe(id);
  });

  it('documents the bearer scheme and requires it on the prediction routes', async () => {
    const doc = (await getJson(`${gateway.url}/openapi.json`)).body;
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [path, method] of [
      ['/v1/models/{model}/predictions', 'post'],
      ['/v1/models/{model}/versions/{version}/predictions', 'post'],
      ['/v1/predictions/{id}', 'get'],
      ['/v1/predictions/{id}/cancel', 'post'],
      ['/v1/predictions', 'get'],
    ] as const) {
      expect(doc.paths[path][method].security, `${method} ${path}`).toEqual([{ bearer: [] }]);
      expect(doc.paths[path][method].responses['401'], `${method} ${path}`).toBeDefined();
    }
    expect(doc.paths['/v1/models'].get.security).toBeUndefined();
  });
});

describe('without API keys', () => {
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'apps/gateway/src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', REDIS_URL: inject('redisUrl'), PORT: '0', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('refuses to listen on a non-loopback address: exit 2, naming ALTO_HOST and ALTO_API_KEYS', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3']) {
      const r = run({ ALTO_HOST: host });
      expect(r.status, host).toBe(2);
      expect(r.stderr).toContain(
        `ALTO_HOST: without ALTO_API_KEYS the gateway serves anyone who can reach it, so it listens on loopback only`,
      );
      expect(r.stderr).toContain(`got '${host}'`);
    }
  });

  it('refuses a key shorter than 16 characters without printing it', () => {
    const r = run({ ALTO_API_KEYS: 'short-key' });
    expect(r.status).toBe(2);
    // The key's position is named, never the key itself.
    expect(r.stderr).toContain('ALTO_API_KEYS.0: each key must be at least 16 characters');
    expect(r.stderr).not.toContain('short-key');
  });

  it('serves anyone on loopback, says so at start, and the document states no requirement', async () => {
    const prefix = testPrefix('authopen');
    const gateway = await startGateway(inject('redisUrl'), prefix, { ALTO_LOG_LEVEL: 'info' });
    try {
      expect(gateway.output()).toContain('no API keys: listening on loopback only');
      const list = await getJson(`${gateway.url}/v1/predictions`);
      expect(list.status).toBe(200);
      const doc = (await getJson(`${gateway.url}/openapi.json`)).body;
      expect(doc.paths['/v1/predictions/{id}'].get.security).toBeUndefined();
    } finally {
      await gateway.kill();
    }
  });
});
