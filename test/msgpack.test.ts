// msgpack bodies on a real fleet: a request with Content-Type application/msgpack whose tensor
// is bin (raw little-endian bytes), and Accept: application/msgpack responses with output bin,
// for submit (202), Prefer: wait (200) and GET /v1/predictions/{id}; sent by Python's msgpack
// (test/python/msgpack/client.py) and by a Node library other than the gateway's own
// (msgpackr), and compared with a direct onnxruntime run. Errors stay JSON.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Packr, Unpackr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT, startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { expectClose, randomFloats } from './support/http.ts';
import { runDirect } from './support/ort.ts';
import { testPython, TEST_VENV_INSTALL_TIMEOUT_MS } from './support/python.ts';
import { waitFor } from './support/wait.ts';

const MSGPACK = 'application/msgpack';
// Plain msgpack maps, not msgpackr's record extension: what any other client reads and writes.
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false });

const bytesOf = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
const floatsOf = (b: Uint8Array) => Array.from(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)));

describe('msgpack bodies', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('msgpack');
  let worker: Proc;
  let gateway: Proc & { url: string };

  beforeAll(async () => {
    worker = await startWorker(redisUrl, prefix);
    gateway = await startGateway(redisUrl, prefix);
  });
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill()]);
  });

  const post = (model: string, body: Uint8Array, headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}/v1/models/${model}/predictions`, {
      method: 'POST',
      headers: { 'content-type': MSGPACK, ...headers },
      body,
    });
  const decoded = async (res: Response) => {
    expect(res.headers.get('content-type')).toBe(MSGPACK);
    return unpackr.unpack(Buffer.from(await res.arrayBuffer())) as Record<string, any>;
  };

  it('takes bin tensors and answers Prefer: wait in msgpack with output bin equal to onnxruntime (msgpackr)', async () => {
    const x = randomFloats(3 * 64, 21);
    const body = packr.pack({ input: { x: { datatype: 'FP32', shape: [3, 64], data: bytesOf(x) } } });
    const res = await post('tiny', body, { accept: MSGPACK, prefer: 'wait=30' });
    expect(res.status).toBe(200);
    const p = await decoded(res);
    expect(p).toMatchObject({ model: 'tiny', status: 'succeeded', error: null });
    expect(p.output.y).toMatchObject({ datatype: 'FP32', shape: [3, 10] });
    expect(p.output.y.data).toBeInstanceOf(Uint8Array);
    expectClose(floatsOf(p.output.y.data), (await runDirect('tiny', 'x', x, [3, 64])).data);
  });

  it('answers a submit with 202 in msgpack, and GET the prediction in msgpack or JSON as Accept asks', async () => {
    const x = randomFloats(64, 22);
    const res = await post(
      'tiny',
      packr.pack({ input: { x: { datatype: 'FP32', shape: [1, 64], data: bytesOf(x) } } }),
      {
        accept: MSGPACK,
      },
    );
    expect(res.status).toBe(202);
    const queued = await decoded(res);
    expect(queued.status).toBe('queued');
    expect(res.headers.get('location')).toBe(`/v1/predictions/${queued.id}`);
    const done = await waitFor(
      async () => {
        const r = await fetch(`${gateway.url}/v1/predictions/${queued.id}`, { headers: { accept: MSGPACK } });
        const p = await decoded(r);
        return p.status === 'succeeded' ? p : undefined;
      },
      { what: `prediction ${queued.id}` },
    );
    const direct = await runDirect('tiny', 'x', x, [1, 64]);
    expectClose(floatsOf(done.output.y.data), direct.data);
    const json = await fetch(`${gateway.url}/v1/predictions/${queued.id}`);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json.headers.get('vary')).toBe('Accept');
    expectClose(((await json.json()) as any).output.y.data, direct.data);
  });

  it('takes a msgpack request with list data and other fields, answering JSON without Accept', async () => {
    const x = randomFloats(64, 23);
    const body = packr.pack({
      input: { x: { datatype: 'FP32', shape: [1, 64], data: Array.from(x) } },
      response_format: 'b64',
      priority: 'high',
    });
    const res = await post('tiny', body, { prefer: 'wait=30' });
    expect(res.status).toBe(200);
    const p = (await res.json()) as any;
    expectClose(floatsOf(Buffer.from(p.output.y.b64, 'base64')), (await runDirect('tiny', 'x', x, [1, 64])).data);
  });

  it('keeps errors as JSON bodies, naming what is wrong', async () => {
    const garbage = await post('tiny', Buffer.from([0xc1]), { accept: MSGPACK });
    expect(garbage.status).toBe(400);
    expect(garbage.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await garbage.json()) as any).error).toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/^request body is not valid msgpack: /),
    });
    const wrong = await post(
      'tiny',
      packr.pack({ input: { x: { datatype: 'FP32', shape: [1, 64], data: Buffer.alloc(8) } } }),
    );
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as any).error.message).toBe(
      "input 'x': data (bin) is 8 bytes, shape [1,64] of FP32 needs 256",
    );
  });

  it(
    "serves Python's msgpack client: bin in, bin out, for wait, submit and GET",
    async () => {
      const { stdout } = await promisify(execFile)(
        testPython(),
        [`${ROOT}test/python/msgpack/client.py`, gateway.url],
        { timeout: 120_000 },
      );
      const out = JSON.parse(stdout.trim().split('\n').pop()!) as {
        input: number[];
        waited: number[][];
        polled: number[][];
        refused: { status: number; content_type: string; body: { error: { code: string; message: string } } };
      };
      const direct = await runDirect('tiny', 'x', Float32Array.from(out.input), [2, 64]);
      expect(direct.dims).toEqual([2, 10]);
      expectClose(out.waited.flat(), direct.data);
      expectClose(out.polled.flat(), direct.data);
      expect(out.refused).toEqual({
        status: 400,
        content_type: 'application/json',
        body: {
          error: {
            code: 'invalid_input',
            message: "input 'x': data (bin) is 508 bytes, shape [2,64] of FP32 needs 512",
          },
        },
      });
    },
    TEST_VENV_INSTALL_TIMEOUT_MS + 120_000,
  );
});
