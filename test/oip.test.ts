// The Open Inference Protocol end to end: a real worker and two real gateways (one without API
// keys, one with a key and a 1 s infer limit), both with gRPC on. Triton's own Python client
// (tritonclient[http,grpc], test/python/oip/) drives REST and gRPC and compares outputs with a
// direct onnxruntime run; the cases it cannot express (error body shapes, the infer limit, the
// standard gRPC health service) are driven from here.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { freePort } from '@alto/procs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT, startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { expectClose, getJson, postJson, randomFloats } from './support/http.ts';
import { runDirect } from './support/ort.ts';
import { TEST_VENV_INSTALL_TIMEOUT_MS, testPython } from './support/python.ts';
import { waitFor } from './support/wait.ts';

const KEY = 'oip-test-key-0123456789abcdef';

describe('Open Inference Protocol', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('oip');
  let worker: Proc;
  let open: Proc & { url: string; grpc: string };
  let keyed: Proc & { url: string; grpc: string };

  const gateway = async (extra: Record<string, string>) => {
    const port = await freePort();
    const g = await startGateway(redisUrl, prefix, { ALTO_GRPC_PORT: String(port), ...extra });
    return Object.assign(g, { grpc: `127.0.0.1:${port}` });
  };

  beforeAll(async () => {
    // Installed before the processes start: a first install takes minutes.
    testPython();
    worker = await startWorker(redisUrl, prefix);
    open = await gateway({});
    keyed = await gateway({ ALTO_API_KEYS: KEY, ALTO_OIP_INFER_TIMEOUT_SECONDS: '1' });
  }, TEST_VENV_INSTALL_TIMEOUT_MS + 120_000);
  afterAll(async () => {
    await Promise.all([worker?.kill(), open?.kill(), keyed?.kill()]);
  });

  it('passes the tritonclient[http,grpc] suite (test/python/oip) against REST and gRPC', async () => {
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        testPython(),
        ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'test/python/oip'],
        {
          cwd: ROOT,
          timeout: 240_000,
          env: {
            PATH: process.env.PATH ?? '',
            // No __pycache__ beside the test files.
            PYTHONDONTWRITEBYTECODE: '1',
            ALTO_OIP_HTTP: open.url.replace('http://', ''),
            ALTO_OIP_GRPC: open.grpc,
            ALTO_OIP_KEYED_HTTP: keyed.url.replace('http://', ''),
            ALTO_OIP_KEYED_GRPC: keyed.grpc,
            ALTO_OIP_KEY: KEY,
            ALTO_MODELS: `${ROOT}models`,
          },
        },
        (err, stdout, stderr) => resolve({ code: err ? ((err.code as number) ?? 1) : 0, output: stdout + stderr }),
      );
    });
    expect(code, output).toBe(0);
    // Every case ran: 45 over both protocols (a missing fixture would skip or error instead).
    expect(output).toMatch(/^45 passed/m);
  }, 300_000);

  it('takes nested JSON data and answers the outputs as JSON, echoing the id', async () => {
    const x = randomFloats(2 * 64, 21);
    const nested = [Array.from(x.subarray(0, 64)), Array.from(x.subarray(64))];
    const r = await postJson(`${open.url}/v2/models/tiny/infer`, {
      id: 'nested-1',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 64], data: nested }],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: 'nested-1', model_name: 'tiny', model_version: '1' });
    expect(r.body.outputs).toHaveLength(1);
    expect(r.body.outputs[0]).toMatchObject({ name: 'y', datatype: 'FP32', shape: [2, 10] });
    expectClose(r.body.outputs[0].data, (await runDirect('tiny', 'x', x, [2, 64])).data);
    // The same prediction, through Alto's own API.
    const alto = await getJson(`${open.url}/v1/predictions/${r.body.parameters.prediction_id}`);
    expect(alto.body).toMatchObject({ status: 'succeeded', model: 'tiny' });
  });

  it('answers bad requests with the protocol error body and the status of the cause', async () => {
    const bad = await postJson(`${open.url}/v2/models/tiny/infer`, {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 64], data: [1, 2] }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: "input 'x': data has 2 elements, shape [1,64] needs 64" });
    const noInputs = await postJson(`${open.url}/v2/models/tiny/infer`, { inputs: [] });
    expect(noInputs.body).toEqual({
      error: "field 'inputs': expected a non-empty array of input tensors, got an array",
    });
    const unknown = await getJson(`${open.url}/v2/models/nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: "model 'nope' is not published" });
    const route = await getJson(`${open.url}/v2/repository/index`);
    expect(route.status).toBe(404);
    expect(route.body).toEqual({ error: 'no route GET /v2/repository/index' });
    const notJson = await postJson(`${open.url}/v2/models/tiny/infer`, '{"inputs": [');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/^request body is not valid JSON/);
  });

  it('answers a textdir request sent gzip-compressed', async () => {
    const { gzipSync } = await import('node:zlib');
    const x = randomFloats(3 * 48 * 192, 5);
    const body = JSON.stringify({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 48, 192], data: Array.from(x) }],
    });
    const res = await fetch(`${open.url}/v2/models/textdir/infer`, {
      method: 'POST',
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync(body),
    });
    expect(res.status).toBe(200);
    const out = ((await res.json()) as { outputs: { data: number[] }[] }).outputs[0]!;
    expectClose(out.data, (await runDirect('textdir', 'x', x, [1, 3, 48, 192])).data);
  });

  it('serves the standard gRPC health service', async () => {
    const definition = loadSync(fileURLToPath(new URL('../apps/gateway/proto/health.proto', import.meta.url)), {
      keepCase: true,
      enums: String,
    });
    const v1 = ((loadPackageDefinition(definition).grpc as GrpcObject).health as GrpcObject).v1 as GrpcObject;
    const Health = v1.Health as ServiceClientConstructor;
    const client = new Health(open.grpc, credentials.createInsecure()) as unknown as {
      Check(r: { service: string }, cb: (err: { code: number } | null, res?: { status: string }) => void): void;
      close(): void;
    };
    const check = (service: string) =>
      new Promise<{ err: { code: number } | null; res?: { status: string } }>((resolve) =>
        client.Check({ service }, (err, res) => resolve({ err, ...(res ? { res } : {}) })),
      );
    try {
      expect((await check('')).res).toEqual({ status: 'SERVING' });
      expect((await check('inference.GRPCInferenceService')).res).toEqual({ status: 'SERVING' });
      expect((await check('no.such.Service')).err?.code).toBe(5); // NOT_FOUND
    } finally {
      client.close();
    }
  });

  it('batches concurrent infer calls together, through the same queue as Alto API predictions', async () => {
    const n = 12;
    const xs = Array.from({ length: n }, (_, i) => randomFloats(64, 100 + i));
    worker.child.kill('SIGSTOP');
    let replies: Promise<{ status: number; body: any }>[];
    try {
      replies = xs.map((x) =>
        postJson(`${open.url}/v2/models/tiny/infer`, {
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 64], data: Array.from(x) }],
        }),
      );
      // All queued behind the stopped worker before it wakes up to them.
      await waitFor(async () => (await getJson(`${open.url}/v1/models/tiny`)).body.queue_depth === n, {
        what: `${n} queued infer calls`,
      });
    } finally {
      worker.child.kill('SIGCONT');
    }
    const done = await Promise.all(replies);
    const batches = await Promise.all(
      done.map(async (r, i) => {
        expect(r.status).toBe(200);
        expectClose(r.body.outputs[0].data, (await runDirect('tiny', 'x', xs[i]!, [1, 64])).data);
        return (await getJson(`${open.url}/v1/predictions/${r.body.parameters.prediction_id}`)).body.metrics.batch_size;
      }),
    );
    expect(Math.max(...batches)).toBeGreaterThan(1);
  });

  // Last: it stops the worker for a while.
  it('past the infer limit answers 504 with the prediction id, and the prediction still completes', async () => {
    const x = randomFloats(64, 9);
    worker.child.kill('SIGSTOP');
    let id: string;
    try {
      const r = await postJson(
        `${keyed.url}/v2/models/tiny/infer`,
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 64], data: Array.from(x) }] },
        { authorization: `Bearer ${KEY}` },
      );
      expect(r.status).toBe(504);
      id = r.body.prediction_id;
      expect(r.headers.get('location')).toBe(`/v1/predictions/${id}`);
      expect(r.body.error).toBe(
        `prediction '${id}' is still queued after 1 s (ALTO_OIP_INFER_TIMEOUT_SECONDS); ` +
          `it goes on: fetch it with GET /v1/predictions/${id}`,
      );
    } finally {
      worker.child.kill('SIGCONT');
    }
    const done = await waitFor(
      async () => {
        const p = await getJson(`${keyed.url}/v1/predictions/${id}`, { authorization: `Bearer ${KEY}` });
        return p.body.status === 'succeeded' ? p.body : undefined;
      },
      { timeoutMs: 30_000, what: `prediction ${id}` },
    );
    expectClose(done.output.y.data, (await runDirect('tiny', 'x', x, [1, 64])).data);
  });
});
