// Refusals that depend on the model (its inputs, datatypes, dims, batch and queue limits) with
// their status, code and a message naming the field with both sides, and what an accepted,
// canceled or expired prediction looks like. Refusals of malformed bodies, headers and
// framing, which no model decides, are fuzz.test.ts's. Runs an in-process gateway over real
// sockets and a real Redis.
import type { ModelInfo } from '@alto/protocol';
import { keys } from '@alto/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testPrefix } from './support/fleet.ts';
import { startTestGateway, type TestGateway } from './support/gateway.ts';
import { getJson, postJson } from './support/http.ts';
import { pair } from './support/models.ts';
import { waitFor } from './support/wait.ts';

const textdir: ModelInfo = {
  name: 'textdir',
  version: '1',
  versions: ['1'],
  platform: 'onnx',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3, 48, 192] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
  batching: { max_batch_size: 4, max_queue_delay_ms: 0 },
};

const small: ModelInfo = {
  name: 'small',
  version: '1',
  versions: ['1'],
  platform: 'onnx',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }],
  batching: { max_batch_size: 4, max_queue_delay_ms: 0 },
  max_queue_length: 2,
};

const LIMIT = 64 * 1024;

describe('request validation', () => {
  const prefix = testPrefix('validation');
  let server: TestGateway;
  let redis: Redis;
  let base: string;

  beforeAll(async () => {
    server = await startTestGateway(inject('redisUrl'), prefix, [textdir, pair, small], {
      ALTO_MAX_BODY_BYTES: String(LIMIT),
    });
    ({ redis, base } = server);
  });
  afterAll(async () => {
    await server?.close();
  });

  const submit = (model: string, body: unknown, headers?: Record<string, string>) =>
    postJson(`${base}/v1/models/${model}/predictions`, body, headers);
  const tensor = (shape: number[], data: unknown, datatype = 'FP32') => ({ datatype, shape, data });
  const zeros = (n: number) => new Array(n).fill(0);

  const cases: [string, string, unknown, number, string, RegExp][] = [
    [
      'a static dim differs',
      'textdir',
      { input: { x: tensor([1, 3, 48, 100], zeros(14400)) } },
      400,
      'invalid_input',
      /^input 'x': expected shape \[-1,3,48,192\], got \[1,3,48,100\]$/,
    ],
    [
      'the rank differs',
      'textdir',
      { input: { x: tensor([3, 48, 192], zeros(27648)) } },
      400,
      'invalid_input',
      /input 'x': expected shape \[-1,3,48,192\], got \[3,48,192\]/,
    ],
    [
      'the datatype differs',
      'textdir',
      { input: { x: tensor([1, 3, 48, 192], zeros(27648), 'FP64') } },
      400,
      'invalid_input',
      /input 'x': expected datatype FP32, got FP64/,
    ],
    [
      'the datatype is unknown',
      'textdir',
      { input: { x: tensor([1], [0], 'FP8') } },
      400,
      'invalid_input',
      /input 'x': datatype must be one of BOOL, .*FP32.*, got "FP8"/,
    ],
    [
      'an input is missing',
      'pair',
      { input: { a: tensor([1, 2], [1, 2], 'INT8') } },
      400,
      'invalid_input',
      /input 'b': missing; model 'pair' needs inputs a, b/,
    ],
    [
      'an input is unknown',
      'pair',
      { input: { a: tensor([1, 2], [1, 2], 'INT8'), b: tensor([1, 2], [true, false], 'BOOL'), c: 1 } },
      400,
      'invalid_input',
      /input 'c': model 'pair' has no such input; its inputs are a, b/,
    ],
    [
      'the element count differs from the shape',
      'pair',
      { input: { a: tensor([1, 2], [1, 2, 3], 'INT8'), b: tensor([1, 2], [true, false], 'BOOL') } },
      400,
      'invalid_input',
      /input 'a': data has 3 elements, shape \[1,2\] needs 2/,
    ],
    [
      'nested data is ragged',
      'pair',
      { input: { a: tensor([2, 2], [[1, 2], [3]], 'INT8'), b: tensor([2, 2], [true, false, true, true], 'BOOL') } },
      400,
      'invalid_input',
      /input 'a': data\[1\] has 1 elements, shape \[2,2\] needs 2 there/,
    ],
    [
      'an integer is out of range',
      'pair',
      { input: { a: tensor([1, 2], [1, 300], 'INT8'), b: tensor([1, 2], [true, false], 'BOOL') } },
      400,
      'invalid_input',
      /input 'a': data element 1 is 300, expected an integer in \[-128, 127\] for INT8/,
    ],
    [
      'a BOOL is not a boolean',
      'pair',
      { input: { a: tensor([1, 2], [1, 2], 'INT8'), b: tensor([1, 2], [1, 0], 'BOOL') } },
      400,
      'invalid_input',
      /input 'b': data element 0 is 1, expected true or false for BOOL/,
    ],
    [
      'batch dims disagree across inputs',
      'pair',
      { input: { a: tensor([1, 2], [1, 2], 'INT8'), b: tensor([2, 2], [true, false, true, true], 'BOOL') } },
      400,
      'invalid_input',
      /input 'b': batch size 2 differs from input 'a' batch size 1/,
    ],
    [
      'the batch is over max_batch_size',
      'textdir',
      { input: { x: tensor([5, 3, 48, 192], []) } },
      400,
      'invalid_input',
      /input 'x': batch size 5 exceeds model 'textdir' max_batch_size 4/,
    ],
    [
      'a shape holds -1',
      'textdir',
      { input: { x: tensor([-1, 3, 48, 192], []) } },
      400,
      'invalid_input',
      /input 'x': shape \[-1,3,48,192\] has -1 at dim 0; a request gives every dimension's actual size/,
    ],
    [
      'a shape is absurdly large',
      'pair',
      { input: { a: tensor([1e9, 2], [], 'INT8'), b: tensor([1e9, 2], [], 'BOOL') } },
      400,
      'invalid_input',
      /input 'a': batch size 1000000000 exceeds/,
    ],
    [
      'b64 has the wrong length',
      'pair',
      { input: { a: { datatype: 'INT8', shape: [1, 2], b64: 'AAAA' }, b: tensor([1, 2], [true, false], 'BOOL') } },
      400,
      'invalid_input',
      /input 'a': b64 decodes to 3 bytes, shape \[1,2\] of INT8 needs 2/,
    ],
    [
      'both data and b64 are given',
      'pair',
      {
        input: {
          a: { datatype: 'INT8', shape: [1, 2], b64: 'AAA=', data: [1, 2] },
          b: tensor([1, 2], [true, false], 'BOOL'),
        },
      },
      400,
      'invalid_input',
      /input 'a': give exactly one of "data", "b64" or "binary_data_size"/,
    ],
    ['the model is unknown', 'nope', { input: {} }, 404, 'model_not_found', /model 'nope' is not published/],
  ];

  for (const [what, model, body, status, code, message] of cases) {
    it(`answers ${status} ${code} when ${what}`, async () => {
      const r = await submit(model, body);
      expect(r.status).toBe(status);
      expect(r.body.error.code).toBe(code);
      expect(r.body.error.message).toMatch(message);
    });
  }

  const binary = (header: unknown, bytes: Buffer) => {
    const h = Buffer.from(JSON.stringify(header));
    return fetch(`${base}/v1/models/pair/predictions`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(h.length) },
      body: Buffer.concat([h, bytes]),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
  };
  const pairHeader = (aSize: number) => ({
    input: {
      a: { datatype: 'INT8', shape: [1, 2], binary_data_size: aSize },
      b: { datatype: 'BOOL', shape: [1, 2], binary_data_size: 2 },
    },
  });

  it('accepts a binary body whose tensors follow the JSON header', async () => {
    const r = await binary(pairHeader(2), Buffer.from([1, 255, 1, 0]));
    expect(r.status).toBe(202);
    expect(r.body.status).toBe('queued');
  });

  it('answers 400 when a binary_data_size disagrees with the shape', async () => {
    const r = await binary(pairHeader(3), Buffer.from([1, 2, 3, 1, 0]));
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe("input 'a': binary_data_size is 3 bytes, shape [1,2] of INT8 needs 2");
  });

  it('answers 404 for an unknown prediction and for an unknown route', async () => {
    const p = await getJson(`${base}/v1/predictions/textdir.01m83xqsfwmba2gkx4nf4d8kb9`);
    expect(p.status).toBe(404);
    expect(p.body.error.code).toBe('prediction_not_found');
    const malformed = await getJson(`${base}/v1/predictions/nonsense`);
    expect(malformed.status).toBe(404);
    const route = await getJson(`${base}/v3/whatever`);
    expect(route.status).toBe(404);
    expect(route.body.error).toEqual({ code: 'not_found', message: 'no route GET /v3/whatever' });
  });

  it('enqueues nothing for a refused request', async () => {
    const before = await redis.xlen(keys(prefix).stream('pair'));
    await submit('pair', { input: { a: tensor([1, 2], [1, 999], 'INT8'), b: tensor([1, 2], [true, false], 'BOOL') } });
    expect(await redis.xlen(keys(prefix).stream('pair'))).toBe(before);
  });

  it('accepts a valid request with 202 and stores it as queued', async () => {
    const r = await submit('pair', {
      input: { a: tensor([1, 2], [1, -2], 'INT8'), b: tensor([1, 2], [true, false], 'BOOL') },
    });
    expect(r.status).toBe(202);
    const got = await getJson(`${base}/v1/predictions/${r.body.id}`);
    expect(got.body).toMatchObject({ id: r.body.id, model: 'pair', status: 'queued', output: null, error: null });
  });

  const one = { input: { x: tensor([1, 1], [1]) } };

  it('answers 429 with Retry-After at max_queue_length and keeps every request it accepted', async () => {
    const first = await submit('small', one);
    const second = await submit('small', one);
    expect([first.status, second.status]).toEqual([202, 202]);
    const third = await submit('small', one);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('1');
    expect(third.body.error).toEqual({
      code: 'queue_full',
      message: "model 'small' has 2 requests outstanding, its max_queue_length; retry later",
    });
    for (const id of [first.body.id, second.body.id]) {
      expect((await getJson(`${base}/v1/predictions/${id}`)).body.status).toBe('queued');
    }
    // Canceling one frees its place.
    expect((await postJson(`${base}/v1/predictions/${first.body.id}/cancel`, '')).body.status).toBe('canceled');
    expect((await submit('small', one)).status).toBe(202);
  });

  it('cancels a queued prediction, returns a terminal one unchanged, and 404s an unknown one', async () => {
    const r = await submit('pair', {
      input: { a: tensor([1, 2], [1, 2], 'INT8'), b: tensor([1, 2], [true, false], 'BOOL') },
    });
    const canceled = await postJson(`${base}/v1/predictions/${r.body.id}/cancel`, '');
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ id: r.body.id, status: 'canceled', output: null });
    expect(canceled.body.completed_at).not.toBeNull();
    const again = await postJson(`${base}/v1/predictions/${r.body.id}/cancel`, '');
    expect(again.body).toEqual(canceled.body);
    const unknown = await postJson(`${base}/v1/predictions/pair.01m83xqsfwmba2gkx4nf4d8kb9/cancel`, '');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('prediction_not_found');
  });

  it('expires a prediction that has not started within timeout_ms', async () => {
    const r = await submit('pair', {
      input: { a: tensor([1, 2], [1, 2], 'INT8'), b: tensor([1, 2], [true, false], 'BOOL') },
      timeout_ms: 50,
    });
    expect(r.status).toBe(202);
    const got = await waitFor(
      async () => {
        const g = await getJson(`${base}/v1/predictions/${r.body.id}`);
        return g.body.status === 'expired' ? g : undefined;
      },
      { what: 'the prediction to expire' },
    );
    expect(got.body.error.code).toBe('deadline_exceeded');
  });

  it('refuses a timeout_ms that is not a positive integer, naming the field', async () => {
    const r = await submit('pair', { input: {}, timeout_ms: -5 });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/^field 'timeout_ms': /);
  });
});
