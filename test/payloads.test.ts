// Inputs and outputs by reference end to end: a real gateway and worker, objects in
// fake-gcs-server (the real @google-cloud/storage client) and in a local folder, .npy files
// written and read by NumPy itself. What it proves: a prediction by URI computes what the same
// input inline computes, its outputs land as .npy objects NumPy reads back, places outside
// ALTO_PAYLOAD_ROOTS are a 400 naming the setting, a missing, oversized or mismatched object
// fails only its own prediction with its code, and large outputs leave Redis for the output root.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Storage } from '@google-cloud/storage';
import { keys } from '@alto/queue';
import { readNpy, writeNpy } from '@alto/repository';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBucket } from './support/checkpoint-fixtures.ts';
import { startFakeGcs, type FakeGcs } from './support/fake-gcs.ts';
import { startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { expectClose, postJson, randomFloats } from './support/http.ts';
import { TEST_VENV_INSTALL_TIMEOUT_MS, testPython } from './support/python.ts';

const BUCKET = 'alto-payloads';
const asBytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const floats = (bytes: Uint8Array) => Array.from(new Float32Array(Uint8Array.from(bytes).buffer));

describe('tensors by reference', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('payloads');
  const local = realpathSync(mkdtempSync(join(tmpdir(), 'alto-payloads-e2e-')));
  let gcs: FakeGcs;
  let storage: Storage;
  let gateway: Proc & { url: string };
  let worker: Proc;
  let python: string;
  let redis: Redis;
  const roots = [`gs://${BUCKET}/in`, `gs://${BUCKET}/out`, pathToFileURL(local).href];

  const predict = (body: unknown) => postJson(`${gateway.url}/v1/models/tiny/predictions`, body, { prefer: 'wait=30' });
  const put = (name: string, bytes: Uint8Array) =>
    storage.bucket(BUCKET).file(name).save(Buffer.from(bytes), { resumable: false });
  const get = async (uri: string) => {
    const name = uri.slice(`gs://${BUCKET}/`.length);
    return (await storage.bucket(BUCKET).file(name).download())[0];
  };
  /** The output of the same rows sent inline: the reference every by-URI run is held against. */
  const inline = async (x: Float32Array, rows: number) => {
    const r = await predict({
      input: { x: { datatype: 'FP32', shape: [rows, 64], b64: Buffer.from(asBytes(x)).toString('base64') } },
      response_format: 'b64',
    });
    expect(r.body.status).toBe('succeeded');
    return r.body.output as Record<string, { datatype: string; shape: number[]; b64: string }>;
  };

  beforeAll(async () => {
    python = testPython();
    redis = new Redis(redisUrl);
    gcs = await startFakeGcs();
    storage = await createBucket(gcs, BUCKET);
    const payloads = { ALTO_PAYLOAD_ROOTS: roots.join(',') };
    [gateway, worker] = await Promise.all([
      startGateway(redisUrl, prefix, payloads),
      startWorker(redisUrl, prefix, {
        ...payloads,
        STORAGE_EMULATOR_HOST: gcs.endpoint,
        ALTO_MODELS: 'tiny',
        ALTO_PAYLOAD_MAX_BYTES: '65536',
        ALTO_PAYLOAD_OUTPUT_ROOT: `gs://${BUCKET}/out/auto/`,
        ALTO_INLINE_OUTPUT_MAX_BYTES: '1000',
      }),
    ]);
  }, TEST_VENV_INSTALL_TIMEOUT_MS);
  afterAll(async () => {
    redis?.disconnect();
    await Promise.all([worker?.kill(), gateway?.kill()]);
    await gcs?.stop();
    rmSync(local, { recursive: true, force: true });
  });

  it('upload a .npy → predict by URI with output_uri → the output objects equal a direct inline run', async () => {
    const x = randomFloats(2 * 64, 11);
    await put('in/a.npy', writeNpy({ datatype: 'FP32', shape: [2, 64], data: asBytes(x) }));
    const want = await inline(x, 2);
    const r = await predict({
      input: { x: { uri: `gs://${BUCKET}/in/a.npy` } },
      output_uri: `gs://${BUCKET}/out/req/`,
    });
    expect(r.body).toMatchObject({ status: 'succeeded', error: null });
    for (const [name, t] of Object.entries(want)) {
      const uri = `gs://${BUCKET}/out/req/${r.body.id}/${name}.npy`;
      expect(r.body.output[name]).toEqual({ datatype: t.datatype, shape: t.shape, uri });
      const back = readNpy(await get(uri));
      expect(back).toMatchObject({ datatype: t.datatype, shape: t.shape });
      expectClose(floats(back.data), floats(Buffer.from(t.b64, 'base64')), 1e-6);
    }
  });

  it('reads raw bytes with a declared shape, and file:// objects, NumPy writing the input and reading the output', async () => {
    const x = randomFloats(3 * 64, 12);
    writeFileSync(join(local, 'x.bin'), asBytes(x));
    const script = `import numpy as np, sys\nnp.save(sys.argv[1], np.fromfile(sys.argv[2], dtype="<f4").reshape(3, 64))`;
    execFileSync(python, ['-c', script, join(local, 'x.npy'), join(local, 'x.bin')]);
    const want = await inline(x, 3);
    const raw = await predict({
      input: { x: { uri: pathToFileURL(join(local, 'x.bin')).href, shape: [3, 64] } },
      response_format: 'b64',
    });
    expect(raw.body.status).toBe('succeeded');
    expect(raw.body.output).toEqual(want);
    const npy = await predict({ input: { x: { uri: `file://${local}/x.npy` } }, output_uri: `file://${local}/out` });
    expect(npy.body.status).toBe('succeeded');
    for (const [name, t] of Object.entries(want)) {
      const path = join(local, 'out', npy.body.id, `${name}.npy`);
      expect(npy.body.output[name]).toEqual({
        datatype: 'FP32',
        shape: t.shape,
        uri: `file://${local}/out/${npy.body.id}/${name}.npy`,
      });
      const read =
        'import numpy as np, sys, json\na = np.load(sys.argv[1])\n' +
        'print(json.dumps([str(a.dtype), list(a.shape), a.ravel().tolist()]))';
      const [dtype, shape, values] = JSON.parse(execFileSync(python, ['-c', read, path], { encoding: 'utf8' }));
      expect([dtype, shape]).toEqual(['float32', t.shape]);
      expectClose(values, floats(Buffer.from(t.b64, 'base64')), 1e-6);
    }
  });

  it('refuses an input or output_uri outside ALTO_PAYLOAD_ROOTS with a 400 naming the setting, the uri and the roots', async () => {
    const r = await predict({ input: { x: { uri: 'gs://other-bucket/in/a.npy' } } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('uri_not_allowed');
    expect(r.body.error.message).toBe(
      `input 'x': uri 'gs://other-bucket/in/a.npy' is not under an allowed payload root (ALTO_PAYLOAD_ROOTS: ${[`gs://${BUCKET}/in`, `gs://${BUCKET}/out`, local].join(', ')})`,
    );
    const out = await predict({
      input: { x: { uri: `gs://${BUCKET}/in/a.npy` } },
      output_uri: `gs://${BUCKET}/in/../secrets/`,
    });
    expect(out.status).toBe(400);
    expect(out.body.error.message).toMatch(
      /^field 'output_uri': uri 'gs:\/\/alto-payloads\/in\/\.\.\/secrets\/' \(gs:\/\/alto-payloads\/secrets\) is not under .*ROOTS/,
    );
    const bad = await predict({ input: { x: { uri: 's3://b/a.npy' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/^input 'x': uri 's3:\/\/b\/a\.npy': unsupported scheme/),
    });
    const raw = await predict({ input: { x: { uri: `gs://${BUCKET}/in/a.bin` } } });
    expect(raw.body.error.message).toMatch(/is raw bytes \(not a \.npy\), so "shape" is needed/);
  });

  it('fails a missing object with input_not_found, alone: a request beside it succeeds', async () => {
    const x = randomFloats(64, 13);
    await put('in/ok.npy', writeNpy({ datatype: 'FP32', shape: [1, 64], data: asBytes(x) }));
    const [missing, ok] = await Promise.all([
      predict({ input: { x: { uri: `gs://${BUCKET}/in/nothing-here.npy` } } }),
      predict({ input: { x: { uri: `gs://${BUCKET}/in/ok.npy` } } }),
    ]);
    expect(missing.body.status).toBe('failed');
    expect(missing.body.error).toEqual({
      code: 'input_not_found',
      message: `input 'x': gs://${BUCKET}/in/nothing-here.npy does not exist`,
    });
    expect(ok.body.status).toBe('succeeded');
  });

  it('refuses an object over ALTO_PAYLOAD_MAX_BYTES from its size, and objects that do not match the request', async () => {
    await put('in/big.bin', new Uint8Array(65537));
    const big = await predict({ input: { x: { uri: `gs://${BUCKET}/in/big.bin`, shape: [1, 64] } } });
    expect(big.body.error).toEqual({
      code: 'input_too_large',
      message: `input 'x': gs://${BUCKET}/in/big.bin is 65537 bytes, more than the 65536 allowed (ALTO_PAYLOAD_MAX_BYTES)`,
    });
    await put('in/short.bin', new Uint8Array(100));
    const short = await predict({ input: { x: { uri: `gs://${BUCKET}/in/short.bin`, shape: [1, 64] } } });
    expect(short.body.error).toEqual({
      code: 'input_invalid',
      message: `input 'x': gs://${BUCKET}/in/short.bin is 100 bytes, shape [1,64] of FP32 needs 256`,
    });
    await put('in/f64.npy', writeNpy({ datatype: 'FP64', shape: [1, 64], data: new Uint8Array(512) }));
    const f64 = await predict({ input: { x: { uri: `gs://${BUCKET}/in/f64.npy` } } });
    expect(f64.body.error).toEqual({
      code: 'input_invalid',
      message: `input 'x': gs://${BUCKET}/in/f64.npy holds FP64, expected FP32`,
    });
    await put('in/wide.npy', writeNpy({ datatype: 'FP32', shape: [1, 65], data: new Uint8Array(260) }));
    const wide = await predict({ input: { x: { uri: `gs://${BUCKET}/in/wide.npy` } } });
    expect(wide.body.error).toEqual({
      code: 'input_invalid',
      message: "input 'x': expected shape [-1,64], got [1,65]",
    });
  });

  it('writes outputs over ALTO_INLINE_OUTPUT_MAX_BYTES to ALTO_PAYLOAD_OUTPUT_ROOT, keeps small ones inline', async () => {
    const x = randomFloats(64 * 64, 14);
    const r = await predict({
      input: { x: { datatype: 'FP32', shape: [64, 64], b64: Buffer.from(asBytes(x)).toString('base64') } },
    });
    expect(r.body.status).toBe('succeeded');
    const [name, t] = Object.entries(r.body.output as Record<string, { uri: string; shape: number[] }>)[0]!;
    expect(t.uri).toBe(`gs://${BUCKET}/out/auto/${r.body.id}/${name}.npy`);
    const back = readNpy(await get(t.uri));
    expect(back.shape).toEqual([64, t.shape[1]]);
    // Redis holds the URI, not the 2,560 bytes of output: the record is about 1 KB without it.
    const record = keys(prefix).prediction('tiny', r.body.id);
    expect(Number(await redis.call('MEMORY', 'USAGE', record, 'SAMPLES', '0'))).toBeLessThan(2048);
    const small = await inline(x.subarray(0, 64), 1);
    // TF Serving's :predict cannot answer an output by URI: the same rows come back inline.
    const rows = Array.from({ length: 64 }, (_, i) => Array.from(x.subarray(i * 64, (i + 1) * 64)));
    const tf = await postJson(`${gateway.url}/v1/models/tiny:predict`, { instances: rows });
    expect(tf.status).toBe(200);
    expect(tf.body.predictions).toHaveLength(64);
    expectClose(tf.body.predictions[0], floats(Buffer.from(small[name]!.b64, 'base64')), 1e-5);
    expectClose(floats(back.data).slice(0, t.shape[1]), floats(Buffer.from(small[name]!.b64, 'base64')), 1e-6);
  });
});
