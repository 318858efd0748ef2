// The OpenAPI documents: the gateway's at /openapi.json and the admin API's at
// /v1/admin/openapi.json (served by the publisher and through the gateway). Each is OpenAPI
// 3.1, lists exactly its app's routes, and real responses (real sockets, real Redis) conform.
import { renderPrediction, type ModelInfo, type PredictionRecord, type TensorMap } from '@alto/protocol';
import { RedisModelRegistry, connect, keys } from '@alto/queue';
import { createLogger } from '@alto/telemetry';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp, type GatewayDeps } from '../apps/gateway/src/app.ts';
import { loadEnv } from '../apps/gateway/src/env.ts';
import { startGateway } from '../apps/gateway/src/server.ts';
import { testPrefix } from './support/fleet.ts';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdminApp, type AdminDeps } from '../apps/publisher/src/admin.ts';
import { ADMIN_TOKEN, ROOT, startGateway as startGatewayProcess, startPublisher, type Proc } from './support/fleet.ts';
import { startTestGateway, type TestGateway } from './support/gateway.ts';
import { validate, type Schema } from './support/json-schema.ts';
import { startRedis } from './support/redis-server.ts';

const tiny: ModelInfo = {
  name: 'tiny',
  version: '1',
  versions: ['1'],
  platform: 'onnx',
  description: 'a 2-layer MLP',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 64] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 10] }],
  batching: { max_batch_size: 8, max_queue_delay_ms: 0 },
};
const pair: ModelInfo = {
  name: 'pair',
  version: '2',
  versions: ['1', '2'],
  platform: 'onnx',
  inputs: [
    { name: 'a', datatype: 'INT8', shape: [-1, 2] },
    { name: 'b', datatype: 'BOOL', shape: [-1, 2] },
  ],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
  batching: { max_batch_size: 0, max_queue_delay_ms: 5 },
};

const ROUTES: [string, string, string[]][] = [
  [
    'post',
    '/v1/models/{model}/predictions',
    ['200', '202', '400', '401', '404', '413', '415', '422', '429', '500', '503'],
  ],
  ['get', '/v1/predictions/{id}', ['200', '401', '404', '500', '503']],
  ['post', '/v1/predictions/{id}/cancel', ['200', '401', '404', '500', '503']],
  ['get', '/v1/predictions', ['200', '400', '401', '500', '503']],
  ['get', '/v1/models', ['200', '500', '503']],
  ['get', '/v1/models/{model}', ['200', '404', '500', '503']],
  ['get', '/healthz', ['200']],
  ['get', '/readyz', ['200', '503']],
  ['get', '/metrics', ['200']],
  ['get', '/openapi.json', ['200']],
  ['post', '/v1/models/{model}:predict', ['200', '400', '401', '404', '413', '422', '429', '500', '503', '504']],
  ['post', '/v1/models/{model}/versions/{version}:predict', ['200', '400', '404', '500', '503', '504']],
];

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, Schema> };
};

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

/** Every way a reply to `method path` departs from the document; empty when it conforms. */
function nonConformance(doc: Doc, method: string, path: string, r: Reply): string[] {
  const op = doc.paths[path]?.[method];
  if (!op) return [`no operation ${method.toUpperCase()} ${path}`];
  const response = op.responses[String(r.status)];
  if (!response) return [`status ${r.status} is not documented for ${method.toUpperCase()} ${path}`];
  const problems: string[] = [];
  for (const [name, h] of Object.entries<any>(response.headers ?? {})) {
    if (h.required && r.headers.get(name) === null) problems.push(`required header ${name} is missing`);
  }
  const type = (r.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const media = response.content?.[type];
  if (!media) return [...problems, `content type '${type}' is not documented for ${r.status}`];
  const body = type === 'application/json' ? JSON.parse(r.text) : r.text;
  return [...problems, ...validate(body, media.schema, doc)];
}

describe('OpenAPI document', () => {
  const prefix = testPrefix('openapi');
  let server: TestGateway;
  let base: string;
  let doc: Doc;

  beforeAll(async () => {
    server = await startTestGateway(inject('redisUrl'), prefix, [tiny, pair], {
      ALTO_MAX_BODY_BYTES: String(64 * 1024),
    });
    ({ base } = server);
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
  });
  afterAll(async () => {
    await server?.close();
  });

  const call = async (method: string, path: string, init: RequestInit & { json?: unknown } = {}): Promise<Reply> => {
    const { json, ...rest } = init;
    const res = await fetch(`${base}${path}`, {
      method: method.toUpperCase(),
      ...(json === undefined
        ? {}
        : {
            body: typeof json === 'string' ? json : JSON.stringify(json),
            headers: { 'content-type': 'application/json' },
          }),
      ...rest,
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  const expectConforms = (method: string, template: string, r: Reply) =>
    expect(
      nonConformance(doc, method, template, r),
      `${method.toUpperCase()} ${template} → ${r.status} ${r.text.slice(0, 300)}`,
    ).toEqual([]);
  const tinyBody = { input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.5) } } };

  it('is OpenAPI 3.1 with every route and its statuses', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.components.schemas.Prediction).toBeDefined();
    for (const [method, path, statuses] of ROUTES) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method.toUpperCase()} ${path}`).toBeDefined();
      for (const s of statuses) expect(Object.keys(op.responses), `${method.toUpperCase()} ${path}`).toContain(s);
    }
    const post = doc.paths['/v1/models/{model}/predictions']!.post;
    expect(Object.keys(post.requestBody.content)).toEqual(['application/json', 'application/octet-stream']);
    expect(post.parameters.map((p: any) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(['path:model', 'header:Prefer', 'header:Inference-Header-Content-Length']),
    );
    expect(post.responses['503'].headers['Retry-After'].required).toBe(true);
    expect(post.responses['202'].headers.Location.required).toBe(true);
  });

  it("documents exactly the gateway's routes", () => {
    // Registering routes touches none of the dependencies.
    const app = createApp({ maxBodyBytes: 1, maxWaitSeconds: 1 } as GatewayDeps);
    // The Open Inference Protocol's /v2 routes follow that protocol's own specification (docs/protocols.md).
    const routes = app.routes
      .filter((r) => r.method !== 'ALL' && !r.path.startsWith('/v2'))
      // A parameter with a literal suffix (TF Serving's `{model}:predict`) is `:model{[^/]+:predict}` to Hono.
      .map(
        (r) =>
          `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)\{\[\^\/\]\+(:\w+)\}/g, ':$1$2').replace(/\/:(\w+)/g, '/{$1}')}`,
      );
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(new Set(documented)).toEqual(new Set(routes));
  });

  it("is generated from the app's routes and settings, with every $ref resolvable", async () => {
    const metrics = { duration: { observe: () => undefined } };
    const app = createApp({ maxBodyBytes: 64 * 1024, maxWaitSeconds: 60, metrics } as unknown as GatewayDeps);
    expect(doc).toEqual(await (await app.request('/openapi.json')).json());
    expect(doc.paths['/v1/models/{model}/predictions']!.post.requestBody.description).toContain(`${64 * 1024} bytes`);
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const id = /#\/components\/schemas\/([^"]+)"/.exec(ref)?.[1];
      expect(id && doc.components.schemas[id], ref).toBeTruthy();
    }
  });

  it('describes the request body with the tensor object', () => {
    const request = doc.components.schemas.PredictionRequest!;
    const example = doc.paths['/v1/models/{model}/predictions']!.post.requestBody.content['application/json'].example;
    expect(validate(example, request, doc)).toEqual([]);
    expect(
      validate(
        { input: { x: { datatype: 'FP32', shape: [1, 2], b64: 'AAAAAAAAAAA=' } }, response_format: 'b64' },
        request,
        doc,
      ),
    ).toEqual([]);
    expect(
      validate(
        {
          input: {
            x: {
              datatype: 'FP32',
              shape: [2, 2],
              data: [
                [1, 2],
                [3, 4],
              ],
            },
          },
        },
        request,
        doc,
      ),
    ).toEqual([]);
    // What the gateway refuses, the document refuses too.
    expect(validate({ input: { x: { datatype: 'FP8', shape: [1], data: [1] } } }, request, doc)).not.toEqual([]);
    expect(validate({ input: { x: { datatype: 'FP32', shape: [-1], data: [1] } } }, request, doc)).not.toEqual([]);
    expect(
      validate({ input: { x: { datatype: 'FP32', shape: [1], data: [1], b64: 'AAAAAA==' } } }, request, doc),
    ).not.toEqual([]);
    expect(validate({ input: {}, colour: 'red' }, request, doc)).not.toEqual([]);
    expect(validate({ input: {}, response_format: 'xml' }, request, doc)).not.toEqual([]);
  });

  it('a 202 prediction, and the same prediction polled, conform', async () => {
    const r = await call('post', '/v1/models/tiny/predictions', { json: tinyBody });
    expect(r.status).toBe(202);
    expectConforms('post', '/v1/models/{model}/predictions', r);
    const id = JSON.parse(r.text).id as string;
    const got = await call('get', `/v1/predictions/${id}`);
    expect(got.status).toBe(200);
    expectConforms('get', '/v1/predictions/{id}', got);
  });

  it('a 202 after Prefer: wait ran out conforms, with Preference-Applied', async () => {
    const r = await call('post', '/v1/models/tiny/predictions', {
      json: tinyBody,
      headers: { 'content-type': 'application/json', prefer: 'wait=1' },
    });
    expect(r.status).toBe(202);
    expect(r.headers.get('preference-applied')).toBe('wait=1');
    expectConforms('post', '/v1/models/{model}/predictions', r);
  });

  it('errors conform: 400 invalid_input, 400 invalid_json, 404, 413, 415', async () => {
    const cases: [Reply, number][] = [
      [
        await call('post', '/v1/models/tiny/predictions', {
          json: { input: { x: { datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] } } },
        }),
        400,
      ],
      [await call('post', '/v1/models/tiny/predictions', { json: '{"input": NaN}' }), 400],
      [
        await call('post', '/v1/models/tiny/predictions', {
          json: tinyBody,
          headers: { 'content-type': 'application/json', prefer: 'wait=soon' },
        }),
        400,
      ],
      [await call('post', '/v1/models/nope/predictions', { json: tinyBody }), 404],
      [
        await call('post', '/v1/models/tiny/predictions', {
          json: JSON.stringify({ input: { x: { data: new Array(40_000).fill(0) } } }),
        }),
        413,
      ],
      [
        await call('post', '/v1/models/tiny/predictions', { body: 'x', headers: { 'content-type': 'text/plain' } }),
        415,
      ],
    ];
    for (const [r, status] of cases) {
      expect(r.status).toBe(status);
      expectConforms('post', '/v1/models/{model}/predictions', r);
    }
    const missing = await call('get', '/v1/predictions/tiny.01m83xqsfwmba2gkx4nf4d8kb9');
    expect(missing.status).toBe(404);
    expectConforms('get', '/v1/predictions/{id}', missing);
    const noModel = await call('get', '/v1/models/nope');
    expect(noModel.status).toBe(404);
    expectConforms('get', '/v1/models/{model}', noModel);
  });

  it('the prediction listing, an Idempotent-Replayed retry and their errors conform', async () => {
    const headers = { 'content-type': 'application/json', 'idempotency-key': 'openapi-1' };
    const first = await call('post', '/v1/models/tiny/predictions', { json: tinyBody, headers });
    const again = await call('post', '/v1/models/tiny/predictions', { json: tinyBody, headers });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expectConforms('post', '/v1/models/{model}/predictions', again);
    const reused = await call('post', '/v1/models/tiny/predictions', {
      json: { ...tinyBody, response_format: 'b64' },
      headers,
    });
    expect(reused.status).toBe(422);
    expectConforms('post', '/v1/models/{model}/predictions', reused);
    const list = await call('get', '/v1/predictions?limit=1');
    expect(list.status).toBe(200);
    expect(JSON.parse(list.text).predictions[0].id).toBe(JSON.parse(first.text).id);
    expectConforms('get', '/v1/predictions', list);
    const bad = await call('get', '/v1/predictions?limit=0');
    expect(bad.status).toBe(400);
    expectConforms('get', '/v1/predictions', bad);
  });

  it('the model list and one model conform', async () => {
    const list = await call('get', '/v1/models');
    expect(list.status).toBe(200);
    expect(JSON.parse(list.text).models.map((m: any) => m.name)).toEqual(['pair', 'tiny']);
    expectConforms('get', '/v1/models', list);
    const one = await call('get', '/v1/models/tiny');
    expect(one.status).toBe(200);
    expectConforms('get', '/v1/models/{model}', one);
  });

  it('health, readiness, metrics and the document itself conform', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
      const r = await call('get', path);
      expect(r.status, path).toBe(200);
      expectConforms('get', path, r);
    }
  });

  it('503s while Redis is down conform, with Retry-After, and so does /readyz', async () => {
    const own = await startRedis();
    const conn = await connect(own.url, { name: 'test' });
    await new RedisModelRegistry(conn, keys(prefix)).put(tiny);
    await conn.quit();
    const g = await startGateway(
      loadEnv({ REDIS_URL: own.url, ALTO_PREFIX: prefix, PORT: '0' }),
      createLogger({ name: 'gateway', level: 'silent' }),
    );
    try {
      await own.stop();
      const at = `http://127.0.0.1:${g.port}`;
      const get = async (path: string, init?: RequestInit): Promise<Reply> => {
        const res = await fetch(`${at}${path}`, init);
        return { status: res.status, headers: res.headers, text: await res.text() };
      };
      const down: [string, string, Reply][] = [
        [
          'post',
          '/v1/models/{model}/predictions',
          await get('/v1/models/tiny/predictions', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(tinyBody),
          }),
        ],
        ['get', '/v1/predictions/{id}', await get('/v1/predictions/tiny.01m83xqsfwmba2gkx4nf4d8kb9')],
        ['get', '/readyz', await get('/readyz')],
      ];
      for (const [method, path, r] of down) {
        expect(r.status, `${method} ${path}`).toBe(503);
        expectConforms(method, path, r);
      }
      expect(down[0]![2].headers.get('retry-after')).toBe('1');
    } finally {
      await g.close();
      await own.stop();
    }
  });

  it('finished predictions conform: json and b64 outputs, NaN, BOOL, failures', () => {
    const f32 = new Float32Array([0.25, Number.NaN, Number.POSITIVE_INFINITY, -1]);
    const output: TensorMap = new Map([
      ['y', { datatype: 'FP32', shape: [1, 4], data: new Uint8Array(f32.buffer) }],
      ['mask', { datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) }],
      ['ids', { datatype: 'INT64', shape: [1], data: new Uint8Array(new BigInt64Array([42n]).buffer) }],
    ]);
    const record: PredictionRecord = {
      id: 'tiny.01m83yc7vx5b9f403wkqdbx6nv',
      model: 'tiny',
      version: '1',
      status: 'succeeded',
      format: 'json',
      output,
      error: null,
      createdAt: 1_790_000_000_000,
      startedAt: 1_790_000_000_005,
      completedAt: 1_790_000_000_009,
      queueMs: 5,
      predictMs: 2.5,
      batchSize: 3,
    };
    const prediction = doc.components.schemas.Prediction!;
    // Through JSON, as the gateway sends it: NaN and Infinity become null.
    const asSent = (r: PredictionRecord) => JSON.parse(JSON.stringify(renderPrediction(r, base)));
    expect(asSent(record).output.y.data).toEqual([0.25, null, null, -1]);
    expect(validate(asSent(record), prediction, doc)).toEqual([]);
    expect(validate(asSent({ ...record, format: 'b64' }), prediction, doc)).toEqual([]);
    const failed: PredictionRecord = {
      ...record,
      status: 'failed',
      output: null,
      error: { code: 'inference_failed', message: 'boom' },
      predictMs: null,
      batchSize: null,
    };
    expect(validate(asSent(failed), prediction, doc)).toEqual([]);
  });

  it('notices responses that stop matching', () => {
    const prediction = doc.components.schemas.Prediction!;
    const ok = JSON.parse(
      JSON.stringify(
        renderPrediction(
          {
            id: 'tiny.01m83yc7vx5b9f403wkqdbx6nv',
            model: 'tiny',
            version: '1',
            status: 'queued',
            format: 'json',
            output: null,
            error: null,
            createdAt: 0,
            startedAt: null,
            completedAt: null,
            queueMs: null,
            predictMs: null,
            batchSize: null,
          },
          base,
        ),
      ),
    );
    expect(validate(ok, prediction, doc)).toEqual([]);
    const { status: _status, ...noStatus } = ok;
    expect(validate(noStatus, prediction, doc).join()).toMatch(/must have required property 'status'/);
    expect(validate({ ...ok, extra: 1 }, prediction, doc).join()).toMatch(/'extra' is not allowed/);
    expect(validate({ ...ok, status: 'done' }, prediction, doc).join()).toMatch(/not one of/);
    expect(validate({ ...ok, created_at: null }, prediction, doc).join()).toMatch(/created_at: must be string/);
    expect(validate({ ...ok, created_at: 'yesterday' }, prediction, doc).join()).toMatch(
      /created_at: must match format "date-time"/,
    );
    expect(validate({ ...ok, metrics: { ...ok.metrics, queue_ms: '5' } }, prediction, doc).join()).toMatch(
      /queue_ms: must be number,null/,
    );
    expect(
      validate({ ...ok, output: { y: { datatype: 'FP32', shape: [1], data: [{ x: 1 }] } } }, prediction, doc),
    ).not.toEqual([]);
    // Each status narrows the codes it may carry.
    const notFound = doc.paths['/v1/models/{model}']!.get.responses['404'].content['application/json'].schema;
    expect(validate({ error: { code: 'model_not_found', message: 'm' } }, notFound, doc)).toEqual([]);
    expect(validate({ error: { code: 'invalid_input', message: 'm' } }, notFound, doc)).not.toEqual([]);
    const error = doc.components.schemas.Error!;
    expect(validate({ error: { code: 'invalid_input', message: 'm' } }, error, doc)).toEqual([]);
    expect(validate({ error: { code: 'oops', message: 'm' } }, error, doc)).not.toEqual([]);
    expect(validate({ message: 'm' }, error, doc)).not.toEqual([]);
    expect(validate(1, { type: 'integer', frobnicate: true }, doc).join()).toMatch(/unknown keyword: "frobnicate"/);
  });

  it("TF Serving's :predict replies conform: its errors, and a 504 when the wait runs out", async () => {
    const tf = '/v1/models/{model}:predict';
    const row = { instances: [new Array(64).fill(0)] };
    expectConforms('post', tf, await call('post', '/v1/models/tiny:predict', { json: { instances: [[1]] } }));
    expectConforms('post', tf, await call('post', '/v1/models/nope:predict', { json: row }));
    const late = await call('post', '/v1/models/tiny:predict', {
      body: JSON.stringify(row),
      headers: { 'content-type': 'application/json', prefer: 'wait=0' },
    });
    expect(late.status).toBe(504);
    expectConforms('post', tf, late);
    const version = '/v1/models/{model}/versions/{version}:predict';
    expectConforms('post', version, await call('post', '/v1/models/pair/versions/7:predict', { json: row }));
  });
});

describe('admin API OpenAPI document', () => {
  const prefix = testPrefix('adminopenapi');
  const repo = mkdtempSync(join(tmpdir(), 'alto-admin-openapi-'));
  let publisher: Proc & { url: string };
  let gateway: Proc & { url: string };
  let doc: Doc;

  beforeAll(async () => {
    mkdirSync(join(repo, 'tiny', '1'), { recursive: true });
    cpSync(join(ROOT, 'models/tiny/1/model.onnx'), join(repo, 'tiny', '1', 'model.onnx'));
    publisher = await startPublisher(inject('redisUrl'), prefix, { ALTO_ALLOWED_ROOTS: repo });
    gateway = await startGatewayProcess(inject('redisUrl'), prefix, { ALTO_PUBLISHER_URL: publisher.url });
    const res = await fetch(`${publisher.url}/v1/admin/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
  });
  afterAll(async () => {
    await Promise.all([gateway?.kill(), publisher?.kill()]);
    rmSync(repo, { recursive: true, force: true });
  });

  const admin = async (
    method: string,
    path: string,
    body?: unknown,
    token: string | null = ADMIN_TOKEN,
  ): Promise<Reply> => {
    const res = await fetch(`${gateway.url}${path}`, {
      method: method.toUpperCase(),
      headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  const expectConforms = (method: string, template: string, r: Reply, status: number) => {
    expect(r.status, `${method.toUpperCase()} ${template}: ${r.text.slice(0, 300)}`).toBe(status);
    expect(
      nonConformance(doc, method, template, r),
      `${method.toUpperCase()} ${template} → ${r.status} ${r.text.slice(0, 300)}`,
    ).toEqual([]);
  };

  it('is OpenAPI 3.1, the same through the gateway, and open without the admin token', async () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    const through = await admin('get', '/v1/admin/openapi.json', undefined, null);
    expect(through.status).toBe(200);
    expect(JSON.parse(through.text)).toEqual(doc);
  });

  it("documents exactly the admin API's routes", () => {
    // Registering routes touches none of the dependencies.
    const app = createAdminApp({} as AdminDeps);
    const routes = app.routes
      .filter((r) => r.method !== 'ALL' && r.path.startsWith('/v1/admin/'))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(new Set(documented)).toEqual(new Set(routes));
  });

  it('replies to publish, list, get, update, dead letters, replay, workers, drain and unpublish conform, errors too', async () => {
    const uri = join(repo, 'tiny');
    expectConforms(
      'post',
      '/v1/admin/models',
      await admin('post', '/v1/admin/models', { name: 'tiny', uri, replicas: 0 }),
      201,
    );
    expectConforms('post', '/v1/admin/models', await admin('post', '/v1/admin/models', { name: 'tiny', uri }), 409);
    expectConforms('post', '/v1/admin/models', await admin('post', '/v1/admin/models', { name: 'Bad Name', uri }), 400);
    expectConforms('post', '/v1/admin/models', await admin('post', '/v1/admin/models', '{"name":'), 400);
    expectConforms(
      'post',
      '/v1/admin/models',
      await admin('post', '/v1/admin/models', { name: 'other', uri: '/elsewhere' }),
      400,
    );
    expectConforms('get', '/v1/admin/models', await admin('get', '/v1/admin/models'), 200);
    expectConforms('get', '/v1/admin/models', await admin('get', '/v1/admin/models', undefined, null), 401);
    expectConforms('get', '/v1/admin/models/{name}', await admin('get', '/v1/admin/models/tiny'), 200);
    expectConforms('get', '/v1/admin/models/{name}', await admin('get', '/v1/admin/models/nope'), 404);
    expectConforms(
      'patch',
      '/v1/admin/models/{name}',
      await admin('patch', '/v1/admin/models/tiny', { replicas: 0, max_batch_size: 4 }),
      200,
    );
    expectConforms(
      'patch',
      '/v1/admin/models/{name}',
      await admin('patch', '/v1/admin/models/nope', { replicas: 1 }),
      404,
    );
    const letters = '/v1/admin/models/{name}/dead-letters';
    expectConforms('get', letters, await admin('get', '/v1/admin/models/tiny/dead-letters'), 200);
    expectConforms('get', letters, await admin('get', '/v1/admin/models/tiny/dead-letters?limit=0'), 400);
    expectConforms(
      'post',
      `${letters}/replay`,
      await admin('post', '/v1/admin/models/tiny/dead-letters/replay', {}),
      200,
    );
    expectConforms('get', '/v1/admin/workers', await admin('get', '/v1/admin/workers'), 200);
    expectConforms('get', '/v1/admin/scaling', await admin('get', '/v1/admin/scaling'), 200);
    const pool = '/v1/admin/scaling/pools/{pool}';
    expectConforms('get', pool, await admin('get', '/v1/admin/scaling/pools/cpu'), 200);
    expectConforms('get', pool, await admin('get', '/v1/admin/scaling/pools/nope'), 404);
    expectConforms('post', '/v1/admin/workers/{id}/drain', await admin('post', '/v1/admin/workers/nobody/drain'), 404);
    expectConforms('delete', '/v1/admin/models/{name}', await admin('delete', '/v1/admin/models/tiny'), 200);
    expectConforms('delete', '/v1/admin/models/{name}', await admin('delete', '/v1/admin/models/tiny'), 404);
    expectConforms('get', '/v1/admin/whoami', await admin('get', '/v1/admin/whoami'), 200);
    expectConforms('get', '/v1/admin/audit', await admin('get', '/v1/admin/audit?limit=3'), 200);
    expectConforms('get', '/v1/admin/audit', await admin('get', '/v1/admin/audit?before=x'), 400);
  });
});
