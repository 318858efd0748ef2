// End to end through real processes: gateway → Redis stream → worker → result.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT, startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { expectClose, getJson, postJson, randomFloats } from './support/http.ts';
import { runDirect } from './support/ort.ts';
import { waitFor } from './support/wait.ts';

const TEXTDIR_DIMS = [1, 3, 48, 192];
const TEXTDIR_N = 3 * 48 * 192;

describe('inference path', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('predict');
  let worker: Proc;
  let gateway: Proc & { url: string };

  beforeAll(async () => {
    worker = await startWorker(redisUrl, prefix);
    gateway = await startGateway(redisUrl, prefix);
  });
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill()]);
  });

  const submit = (model: string, body: unknown, headers: Record<string, string> = {}) =>
    postJson(`${gateway.url}/v1/models/${model}/predictions`, body, headers);

  const poll = (id: string) =>
    waitFor(
      async () => {
        const r = await getJson(`${gateway.url}/v1/predictions/${id}`);
        return ['succeeded', 'failed'].includes(r.body.status) ? r : undefined;
      },
      { what: `prediction ${id}` },
    );

  it('serves a pinned version from a worker with a fixed repository, and refuses one it does not serve', async () => {
    const tiny = { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.5) } };
    const pinned = await postJson(
      `${gateway.url}/v1/models/tiny/versions/1/predictions`,
      { input: tiny },
      { prefer: 'wait=20' },
    );
    expect(pinned.status).toBe(200);
    expect(pinned.body).toMatchObject({ status: 'succeeded', version: '1' });
    const other = await postJson(`${gateway.url}/v1/models/tiny/versions/9/predictions`, { input: tiny });
    expect(other.status).toBe(404);
    expect(other.body.error).toMatchObject({
      code: 'version_not_found',
      message: "model 'tiny' serves version(s) 1, not '9'",
    });
  });

  it('answers 202 with a Location, then polling returns textdir output equal to a direct onnxruntime run', async () => {
    const x = randomFloats(TEXTDIR_N, 7);
    const r = await submit('textdir', { input: { x: { datatype: 'FP32', shape: TEXTDIR_DIMS, data: Array.from(x) } } });
    expect(r.status).toBe(202);
    expect(r.headers.get('location')).toBe(`/v1/predictions/${r.body.id}`);
    expect(r.body.status).toBe('queued');
    const done = await poll(r.body.id);
    expect(done.body.status).toBe('succeeded');
    const out = done.body.output['softmax_0.tmp_0'];
    const direct = await runDirect('textdir', 'x', x, TEXTDIR_DIMS);
    expect(out.shape).toEqual(direct.dims);
    expectClose(out.data, direct.data);
    expect(done.body.metrics.batch_size).toBeGreaterThanOrEqual(1);
    expect(Date.parse(done.body.completed_at)).toBeGreaterThanOrEqual(Date.parse(done.body.started_at));
  });

  it('computes tiny with nested data equal to a direct onnxruntime run', async () => {
    const x = randomFloats(2 * 64, 11);
    const nested = [Array.from(x.subarray(0, 64)), Array.from(x.subarray(64))];
    const r = await submit('tiny', { input: { x: { datatype: 'FP32', shape: [2, 64], data: nested } } });
    expect(r.status).toBe(202);
    const done = await poll(r.body.id);
    const direct = await runDirect('tiny', 'x', x, [2, 64]);
    expect(done.body.output.y.shape).toEqual([2, 10]);
    expectClose(done.body.output.y.data, direct.data);
  });

  it('holds the response with Prefer: wait and returns 200 with the finished prediction', async () => {
    const x = randomFloats(64, 3);
    const r = await submit(
      'tiny',
      { input: { x: { datatype: 'FP32', shape: [1, 64], data: Array.from(x) } } },
      { prefer: 'wait=10' },
    );
    expect(r.status).toBe(200);
    expect(r.headers.get('preference-applied')).toBe('wait=10');
    expect(r.body.status).toBe('succeeded');
    expectClose(r.body.output.y.data, (await runDirect('tiny', 'x', x, [1, 64])).data);
  });

  it('accepts base64 input and returns base64 output when response_format is b64', async () => {
    const x = randomFloats(64, 5);
    const r = await submit(
      'tiny',
      {
        input: { x: { datatype: 'FP32', shape: [1, 64], b64: Buffer.from(x.buffer).toString('base64') } },
        response_format: 'b64',
      },
      { prefer: 'wait=10' },
    );
    expect(r.body.status).toBe('succeeded');
    const bytes = Buffer.from(r.body.output.y.b64, 'base64');
    const got = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    expectClose(got, (await runDirect('tiny', 'x', x, [1, 64])).data);
  });

  it('takes a binary body (JSON header + raw tensor bytes) and computes the same as a direct run', async () => {
    const x = randomFloats(TEXTDIR_N, 21);
    const header = Buffer.from(
      JSON.stringify({ input: { x: { datatype: 'FP32', shape: TEXTDIR_DIMS, binary_data_size: x.byteLength } } }),
    );
    const res = await fetch(`${gateway.url}/v1/models/textdir/predictions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(header.length),
        prefer: 'wait=10',
      },
      body: Buffer.concat([header, Buffer.from(x.buffer)]),
    });
    expect(res.status).toBe(200);
    const p = (await res.json()) as any;
    expectClose(p.output['softmax_0.tmp_0'].data, (await runDirect('textdir', 'x', x, TEXTDIR_DIMS)).data);
  });

  it('serves the README example request for textdir', async () => {
    const body = readFileSync(`${ROOT}examples/textdir.json`, 'utf8');
    const r = await submit('textdir', body, { prefer: 'wait' });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('succeeded');
    const [a, b] = r.body.output['softmax_0.tmp_0'].data as number[];
    expect(a! + b!).toBeCloseTo(1, 5);
  });

  it('runs 300 concurrent tiny requests, each output matching its own input, in batches larger than one', async () => {
    const inputs = Array.from({ length: 300 }, (_, i) => randomFloats(64, 1000 + i));
    const replies = await Promise.all(
      inputs.map((x) =>
        submit(
          'tiny',
          { input: { x: { datatype: 'FP32', shape: [1, 64], data: Array.from(x) } } },
          { prefer: 'wait=30' },
        ),
      ),
    );
    const finished = await Promise.all(replies.map((r) => (r.body.status === 'succeeded' ? r : poll(r.body.id))));
    let batched = 0;
    for (let i = 0; i < inputs.length; i++) {
      const p = finished[i]!.body;
      expect(p.status).toBe('succeeded');
      expectClose(p.output.y.data, (await runDirect('tiny', 'x', inputs[i]!, [1, 64])).data);
      if (p.metrics.batch_size > 1) batched++;
    }
    expect(batched).toBeGreaterThan(0);
  });

  it('lists models with their tensors, batching, replicas and queue depth', async () => {
    const r = await getJson(`${gateway.url}/v1/models/textdir`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      name: 'textdir',
      version: '1',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3, 48, 192] }],
      outputs: [{ name: 'softmax_0.tmp_0', datatype: 'FP32', shape: [-1, 2] }],
      batching: { max_batch_size: 32 },
      ready_replicas: 1,
      queue_depth: 0,
    });
    const all = await getJson(`${gateway.url}/v1/models`);
    expect(all.body.models.map((m: { name: string }) => m.name)).toEqual(['textdir', 'tiny']);
  });

  it('exposes Prometheus metrics on the gateway', async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(text).toMatch(/alto_gateway_predictions_total\{model="tiny",status="202"\} \d+/);
    expect(text).toMatch(/alto_queue_depth\{model="textdir"\} 0/);
  });

  it('exposes worker metrics: batch sizes, inference and queue wait per model', async () => {
    const port = /"metrics_port":(\d+)/.exec(worker.output())![1];
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const count = (name: string) =>
      Number(new RegExp(`${name}_count\\{[^}]*model="tiny"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
    expect(count('alto_worker_batch_size')).toBeGreaterThan(0);
    expect(count('alto_worker_inference_ms')).toBe(count('alto_worker_batch_size'));
    expect(count('alto_worker_queue_wait_ms')).toBeGreaterThanOrEqual(303);
    expect(text).toMatch(/alto_worker_predictions_total\{[^}]*model="tiny"[^}]*status="succeeded"[^}]*\} \d+/);
    const health = await (await fetch(`http://127.0.0.1:${port}/healthz`)).json();
    expect(health).toMatchObject({ status: 'running' });
  });
});
