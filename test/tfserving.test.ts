// TF Serving's REST predict API on a real fleet (gateway and worker processes, real Redis,
// onnxruntime): the request/response examples of tensorflow_serving/g3doc/api_rest.md, written
// out in test/fixtures/tfserving/ for tiny and textdir, answer what a direct onnxruntime run
// computes, in TF Serving's shapes; errors are TF Serving's `{"error": "..."}`.
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT, startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { expectClose, getJson, postJson } from './support/http.ts';
import { startTestGateway } from './support/gateway.ts';
import { tiny } from './support/models.ts';
import { runDirect } from './support/ort.ts';
import { waitFor } from './support/wait.ts';

interface Fixture {
  source: string;
  adapted: string;
  model: string;
  path: string;
  request: { instances?: unknown[]; inputs?: unknown };
  response: { key?: 'predictions' | 'outputs'; shape?: number[]; status?: number; error?: string };
}

const DIR = `${ROOT}test/fixtures/tfserving/`;
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(DIR + f, 'utf8')) as Fixture] as const);

const INPUT_DIMS: Record<string, number[]> = { tiny: [64], textdir: [3, 48, 192] };

/** The fixture's input rows as one Float32Array, read independently of the gateway's translation. */
function inputOf(f: Fixture): { x: Float32Array; rows: number } {
  const fromB64 = (b64: string) => {
    const bytes = Buffer.from(b64, 'base64');
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  };
  const per = INPUT_DIMS[f.model]!.reduce((a, b) => a * b, 1);
  let values: number[];
  if (f.request.instances) {
    values = f.request.instances.flatMap((i: any) => {
      const v = i?.x ?? i;
      return v.b64 ? Array.from(fromB64(v.b64)) : (v.flat(3) as number[]);
    });
  } else {
    const v: any = (f.request.inputs as any)?.x ?? f.request.inputs;
    values = v.b64 ? Array.from(fromB64(v.b64)) : (v.flat(3) as number[]);
  }
  return { x: Float32Array.from(values), rows: values.length / per };
}

describe('TF Serving REST predict', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('tfserving');
  let worker: Proc;
  let gateway: Proc & { url: string };

  beforeAll(async () => {
    worker = await startWorker(redisUrl, prefix);
    gateway = await startGateway(redisUrl, prefix);
  });
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill()]);
  });

  for (const [file, f] of fixtures.filter(([, f]) => f.response.key)) {
    it(`answers the api_rest.md example ${file} with ${f.response.key} equal to a direct onnxruntime run`, async () => {
      const r = await postJson(`${gateway.url}${f.path}`, f.request);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(Object.keys(r.body)).toEqual([f.response.key]);
      const got = r.body[f.response.key!] as number[][];
      expect([got.length, got[0]!.length]).toEqual(f.response.shape);
      const { x, rows } = inputOf(f);
      const direct = await runDirect(f.model, 'x', x, [rows, ...INPUT_DIMS[f.model]!]);
      expect(direct.dims).toEqual(f.response.shape);
      expectClose(got.flat(), direct.data);
    });
  }

  it('answers an unknown model as the api_rest.md example does: 404 and {"error": "..."}', async () => {
    const [, f] = fixtures.find(([name]) => name === 'error-not-found.json')!;
    const r = await postJson(`${gateway.url}${f.path}`, f.request);
    expect(r.status).toBe(f.response.status);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.body).toEqual({ error: f.response.error });
  });

  it('reads the body as JSON whatever its Content-Type, as `curl -d` sends it, and waits without Prefer: wait', async () => {
    const res = await fetch(`${gateway.url}/v1/models/tiny:predict`, {
      method: 'POST',
      // A Prefer without a wait preference leaves the wait at its most.
      headers: { 'content-type': 'application/x-www-form-urlencoded', prefer: 'return=minimal' },
      body: JSON.stringify({ instances: [new Array(64).fill(0.25)] }),
    });
    expect(res.status).toBe(200);
    const direct = await runDirect('tiny', 'x', new Float32Array(64).fill(0.25), [1, 64]);
    expectClose(((await res.json()) as { predictions: number[][] }).predictions.flat(), direct.data);
  });

  it('refuses bad requests with 400 and a TF Serving error body naming the field', async () => {
    const post = (body: unknown, path = '/v1/models/tiny:predict') => postJson(`${gateway.url}${path}`, body);
    const cases: [unknown, string][] = [
      [
        { signature_name: 'classify', instances: [new Array(64).fill(0)] },
        `field 'signature_name': Alto models have one signature, 'serving_default', got "classify"`,
      ],
      [
        { instances: [new Array(64).fill(0)], inputs: [new Array(64).fill(0)] },
        'request body: give exactly one of "instances" (row format) or "inputs" (columnar format)',
      ],
      [{ instances: [[1, 2, 3]] }, "input 'x': expected shape [-1,64], got [1,3]"],
      [{ inputs: { y: [1] } }, "input 'y': model 'tiny' has no such input; its inputs are x"],
    ];
    for (const [body, error] of cases) {
      const r = await post(body);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error });
    }
    const notJson = await post('{"instances": [');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/^request body is not valid JSON: /);
    const version = await post({ instances: [new Array(64).fill(0)] }, '/v1/models/tiny/versions/9:predict');
    expect(version.status).toBe(404);
    expect(version.body).toEqual({ error: "model 'tiny' serves version(s) 1, not '9'" });
  });

  it('answers 504 when Prefer: wait runs out, and the prediction it names still completes', async () => {
    const r = await postJson(
      `${gateway.url}/v1/models/textdir:predict`,
      { inputs: { x: { b64: Buffer.alloc(3 * 48 * 192 * 4).toString('base64') } } },
      { prefer: 'wait=0' },
    );
    expect(r.status).toBe(504);
    const location = r.headers.get('location')!;
    expect(r.body.error).toContain(`GET ${location} for its result`);
    const done = await waitFor(
      async () => {
        const p = await getJson(`${gateway.url}${location}`);
        return p.body.status === 'succeeded' ? p : undefined;
      },
      { what: `prediction at ${location}` },
    );
    expect(done.body.output['softmax_0.tmp_0'].shape).toEqual([1, 2]);
  });

  it("leaves Alto's GET /v1/models/{model} as it is: no TF Serving model status", async () => {
    const r = await getJson(`${gateway.url}/v1/models/tiny`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'tiny', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 64] }] });
    expect(r.body).not.toHaveProperty('model_version_status');
  });
});

describe('TF Serving REST predict with API keys', () => {
  it('answers a missing or unknown key with 401, WWW-Authenticate and a TF Serving error body', async () => {
    const key = 'tfserving-test-key-0123456789';
    const server = await startTestGateway(inject('redisUrl'), testPrefix('tfkeys'), [tiny], { ALTO_API_KEYS: key });
    try {
      const body = { instances: [new Array(64).fill(0)] };
      const refused: Record<string, string>[] = [{}, { authorization: 'Bearer not-a-key-of-this-gateway' }];
      for (const headers of refused) {
        const r = await postJson(`${server.base}/v1/models/tiny:predict`, body, headers);
        expect(r.status).toBe(401);
        expect(r.headers.get('www-authenticate')).toBe('Bearer realm="alto"');
        expect(Object.keys(r.body)).toEqual(['error']);
        expect(typeof r.body.error).toBe('string');
      }
      // With the key the request gets past the check: no worker here, so the wait runs out.
      const ok = await postJson(`${server.base}/v1/models/tiny:predict`, body, {
        authorization: `Bearer ${key}`,
        prefer: 'wait=0',
      });
      expect(ok.status).toBe(504);
    } finally {
      await server.close();
    }
  });
});
