// @alto/client end to end, against real gateway, worker and dispatcher processes: submit,
// wait, poll, cancel and list; TypedArrays in and out (checked against a direct onnxruntime
// run); binary bodies; one prediction despite a dropped connection (a real TCP proxy cuts the
// first answer); verification of a real signed delivery and refusal of a tampered one; and
// the API's errors as AltoError with code and status.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AltoError, createClient, verifyWebhook, type AltoClient, type Prediction } from '@alto/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_URL, docExample } from './support/doc-examples.ts';
import { startDropProxy } from './support/drop-proxy.ts';
import { ROOT } from './support/fleet.ts';
import { randomFloats } from './support/http.ts';
import { runDirect } from './support/ort.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { SDK_KEYS, SDK_MAX_BODY_BYTES, sdkFleet } from './support/sdk-fleet.ts';
import { waitFor } from './support/wait.ts';

const run = promisify(execFile);

/** The error a promise rejects with, as `code status`. */
async function failure(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  if (!(err instanceof AltoError)) throw err;
  return `${err.code} ${err.status}`;
}

/** A fetch that records each request's method, path and content type, then sends it for real. */
function recordingFetch() {
  const seen: { method: string; path: string; type: string | null; key: string | null }[] = [];
  const f: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    seen.push({
      method: init?.method ?? 'GET',
      path: new URL(String(input)).pathname,
      type: headers.get('content-type'),
      key: headers.get('idempotency-key'),
    });
    return fetch(input, init);
  };
  return { seen, fetch: f };
}

async function expectTinyOutput(p: Prediction, x: Float32Array, rows: number) {
  expect(p.status, JSON.stringify(p.error)).toBe('succeeded');
  const y = p.output!.y!;
  expect(y.datatype).toBe('FP32');
  expect(y.shape).toEqual([rows, 10]);
  expect(y.data).toBeInstanceOf(Float32Array);
  const direct = await runDirect('tiny', 'x', x, [rows, 64]);
  // Batched with others or not, the worker's onnxruntime computes the same float32 values.
  expect(Array.from(y.data as Float32Array)).toEqual(direct.data.map((v) => Math.fround(v)));
}

describe('@alto/client', () => {
  const fleet = sdkFleet('client');
  let client: AltoClient;
  let receiver: Receiver;

  beforeAll(async () => {
    client = createClient({ url: fleet.gateway.url, apiKey: SDK_KEYS.main });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('predicts with a Float32Array and waits: the output is a Float32Array onnxruntime agrees with', async () => {
    const x = randomFloats(2 * 64, 41);
    const p = await client.predict('tiny', { x: { shape: [2, 64], data: x } }, { wait: true, priority: 'high' });
    await expectTinyOutput(p, x, 2);
    expect(p.metrics.batch_size).toBeGreaterThanOrEqual(2);
  });

  it('sends tensors at the binary threshold as a binary body, below it as JSON', async () => {
    const rec = recordingFetch();
    const big = randomFloats(64 * 64, 42); // 16 KiB
    const binary = createClient({
      url: fleet.gateway.url,
      apiKey: SDK_KEYS.main,
      fetch: rec.fetch,
      binaryThresholdBytes: big.byteLength,
    });
    await expectTinyOutput(
      await binary.predict('tiny', { x: { shape: [64, 64], data: big } }, { wait: true }),
      big,
      64,
    );
    const small = createClient({
      url: fleet.gateway.url,
      apiKey: SDK_KEYS.main,
      fetch: rec.fetch,
      binaryThresholdBytes: big.byteLength + 1,
    });
    await expectTinyOutput(await small.predict('tiny', { x: { shape: [64, 64], data: big } }, { wait: true }), big, 64);
    const posts = rec.seen.filter((s) => s.method === 'POST');
    expect(posts.map((s) => s.type)).toEqual(['application/octet-stream', 'application/json']);
  });

  it('submits without waiting, then wait(id) polls it to the end; get returns the same', async () => {
    const x = randomFloats(64, 43);
    fleet.worker.child.kill('SIGSTOP');
    let queued: Prediction;
    try {
      queued = await client.predict('tiny', { x: { shape: [1, 64], data: x } });
      expect(queued.status).toBe('queued');
      expect(queued.output).toBeNull();
      // Bounded: it comes back as it is when the time runs out.
      const still = await client.wait(queued.id, { timeoutMs: 300 });
      expect(still.status).toBe('queued');
    } finally {
      fleet.worker.child.kill('SIGCONT');
    }
    const done = await client.wait(queued.id);
    await expectTinyOutput(done, x, 1);
    expect(await client.get(queued.id)).toEqual(done);
  });

  it('cancels a queued prediction, which then never runs', async () => {
    fleet.worker.child.kill('SIGSTOP');
    let canceled: Prediction;
    try {
      const p = await client.predict('tiny', { x: { shape: [1, 64], data: randomFloats(64, 44) } });
      canceled = await client.cancel(p.id);
      expect(canceled.status).toBe('canceled');
    } finally {
      fleet.worker.child.kill('SIGCONT');
    }
    // A later prediction finishing proves the worker has been through the queue.
    const later = await client.predict('tiny', { x: { shape: [1, 64], data: randomFloats(64, 45) } }, { wait: true });
    expect(later.status).toBe('succeeded');
    const after = await client.get(canceled.id);
    expect(after.status).toBe('canceled');
    expect(after.output).toBeNull();
  });

  it('lists every prediction of its key, newest first, a page at a time', async () => {
    const lister = createClient({ url: fleet.gateway.url, apiKey: SDK_KEYS.list });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await lister.predict('tiny', { x: { shape: [1, 64], data: randomFloats(64, 50 + i) } })).id);
    }
    const pages: string[][] = [];
    for await (const page of lister.list({ pageSize: 2 })) pages.push(page.predictions.map((p) => p.id));
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual([...ids].reverse());
    const first = await lister.list({ pageSize: 2, model: 'tiny' }).next();
    expect(first.done).toBe(false);
  });

  it('retries a POST whose connection dropped after the gateway took it: one prediction is created', async () => {
    const proxy = await startDropProxy(fleet.gateway.url);
    try {
      const through = createClient({ url: proxy.url, apiKey: SDK_KEYS.drop, backoffMs: 50 });
      const x = randomFloats(64, 46);
      const p = await through.predict('tiny', { x: { shape: [1, 64], data: x } }, { wait: true });
      expect(proxy.dropped).toBe(true);
      expect(proxy.connections).toBe(2);
      await expectTinyOutput(p, x, 1);
      const direct = createClient({ url: fleet.gateway.url, apiKey: SDK_KEYS.drop });
      const all: string[] = [];
      for await (const page of direct.list()) all.push(...page.predictions.map((q) => q.id));
      expect(all).toEqual([p.id]);
    } finally {
      await proxy.close();
    }
  });

  it('verifies a real signed delivery and refuses it tampered', async () => {
    const x = randomFloats(64, 47);
    const p = await client.predict('tiny', { x: { shape: [1, 64], data: x } }, { webhook: `${receiver.url}/hook` });
    const [delivery] = await waitFor(() => (receiver.to('/hook').length ? receiver.to('/hook') : undefined), {
      what: 'the delivery',
    });
    const headers = delivery!.headers as Record<string, string>;
    const event = await verifyWebhook(headers, delivery!.body, fleet.secret);
    expect(event.type).toBe('prediction.completed');
    expect(event.data.id).toBe(p.id);
    await expectTinyOutput(event.data, x, 1);
    const tampered = delivery!.body.replace('"succeeded"', '"failed"');
    expect(tampered).not.toBe(delivery!.body);
    expect(await failure(verifyWebhook(headers, tampered, fleet.secret))).toBe('invalid_signature null');
  });

  it("surfaces the API's errors as AltoError with their code and status", async () => {
    const x = { x: { shape: [1, 64], data: randomFloats(64, 48) } };
    const anonymous = createClient({ url: fleet.gateway.url });
    expect(await failure(anonymous.predict('tiny', x))).toBe('unauthorized 401');
    const wrongKey = createClient({ url: fleet.gateway.url, apiKey: 'alto-sdk-key-not-one-of-them-000' });
    expect(await failure(wrongKey.get('tiny.01kzzzzzzzzzzzzzzzzzzzzzzz'))).toBe('unauthorized 401');
    expect(await failure(client.predict('tiny', { x: { datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] } }))).toBe(
      'invalid_input 400',
    );
    expect(await failure(client.predict('nope', x))).toBe('model_not_found 404');
    expect(await failure(client.predict('tiny', x, { version: '99' }))).toBe('version_not_found 404');
    expect(await failure(client.get('tiny.01kzzzzzzzzzzzzzzzzzzzzzzz'))).toBe('prediction_not_found 404');
    expect(await failure(client.cancel('tiny.01kzzzzzzzzzzzzzzzzzzzzzzz'))).toBe('prediction_not_found 404');
    expect(await failure(client.predict('tiny', x, { webhook: 'http://10.1.2.3/hook' }))).toBe('webhook_refused 400');
    const big = new Float32Array(SDK_MAX_BODY_BYTES / 4 + 64);
    expect(await failure(client.predict('tiny', { x: { shape: [big.length / 64, 64], data: big } }))).toBe(
      'payload_too_large 413',
    );
    await client.predict('tiny', x, { idempotencyKey: 'sdk-reused' });
    const other = { x: { shape: [1, 64], data: randomFloats(64, 49) } };
    expect(await failure(client.predict('tiny', other, { idempotencyKey: 'sdk-reused' }))).toBe(
      'idempotency_key_reused 422',
    );
    expect(await failure(client.list({ pageSize: 1000 }).next())).toBe('invalid_input 400');
    // tinyq takes one outstanding request; a second, while the worker is held, is refused.
    fleet.worker.child.kill('SIGSTOP');
    try {
      await client.predict('tinyq', x);
      expect(await failure(client.predict('tinyq', x))).toBe('queue_full 429');
    } finally {
      fleet.worker.child.kill('SIGCONT');
    }
    expect(await failure(client.list({ cursor: 'not-a-cursor' }).next())).toBe('invalid_input 400');
  });

  it('refuses a bad tensor before sending it, as invalid_input without a status', async () => {
    const rec = recordingFetch();
    const c = createClient({ url: fleet.gateway.url, apiKey: SDK_KEYS.main, fetch: rec.fetch });
    expect(await failure(c.predict('tiny', { x: { shape: [2, 64], data: new Float32Array(64) } }))).toBe(
      'invalid_input null',
    );
    expect(
      await failure(c.predict('tiny', { x: { datatype: 'INT64', shape: [64], data: new Float32Array(64) } })),
    ).toBe('invalid_input null');
    expect(rec.seen).toEqual([]);
  });

  it('retries a 503 with the same key, then reports it; no connection is a network_error, no answer a timeout', async () => {
    const rec = recordingFetch();
    const c = createClient({ url: fleet.redisless.url, retries: 2, backoffMs: 10, fetch: rec.fetch });
    expect(await failure(c.predict('tiny', { x: { shape: [1, 64], data: new Float32Array(64) } }))).toBe(
      'redis_unavailable 503',
    );
    expect(rec.seen.map((s) => s.method)).toEqual(['POST', 'POST', 'POST']);
    expect(new Set(rec.seen.map((s) => s.key)).size).toBe(1);
    expect(rec.seen[0]!.key).toMatch(/^[0-9a-f-]{36}$/);
    const dead = createClient({ url: 'http://127.0.0.1:1', retries: 1, backoffMs: 10 });
    expect(await failure(dead.get('tiny.x'))).toBe('network_error null');
    // A server that never answers: each attempt times out, and is retried.
    receiver.reply('/v1/predictions/held', 'hold', 'hold');
    const slow = createClient({ url: receiver.url, retries: 1, backoffMs: 10, timeoutMs: 300 });
    expect(await failure(slow.get('held'))).toBe('timeout null');
    expect(receiver.to('/v1/predictions/held')).toHaveLength(2);
  });

  it('stops waiting when its signal aborts', async () => {
    fleet.worker.child.kill('SIGSTOP');
    try {
      const p = await client.predict('tiny', { x: { shape: [1, 64], data: new Float32Array(64) } });
      const ac = new AbortController();
      const waiting = client.wait(p.id, { signal: ac.signal });
      setTimeout(() => ac.abort(new Error('user gave up')), 200);
      expect(await failure(waiting)).toBe('aborted null');
    } finally {
      fleet.worker.child.kill('SIGCONT');
    }
  });

  it('builds to dist with tsc and runs from plain node, imported by its package name, as the docs show', async () => {
    await run(process.execPath, [join(ROOT, 'packages/client/scripts/build.mjs')], { cwd: ROOT });
    const dir = mkdtempSync(join(tmpdir(), 'alto-client-'));
    try {
      mkdirSync(join(dir, 'node_modules', '@alto'), { recursive: true });
      symlinkSync(join(ROOT, 'packages/client/dist'), join(dir, 'node_modules', '@alto', 'client'), 'dir');
      writeFileSync(
        join(dir, 'predict.mjs'),
        [
          "import { AltoError, createClient } from '@alto/client';",
          'const client = createClient({ url: process.env.ALTO_URL, apiKey: process.env.ALTO_API_KEY });',
          'const x = new Float32Array(JSON.parse(process.argv[2]));',
          "const p = await client.predict('tiny', { x: { shape: [1, 64], data: x } }, { wait: true });",
          "const err = await client.get('tiny.01kzzzzzzzzzzzzzzzzzzzzzzz').catch((e) => e);",
          'console.log(JSON.stringify({ status: p.status, y: Array.from(p.output.y.data),',
          '  typed: p.output.y.data.constructor.name, error: err instanceof AltoError && err.code }));',
        ].join('\n'),
      );
      const x = randomFloats(64, 60);
      const { stdout } = await run(process.execPath, ['predict.mjs', JSON.stringify(Array.from(x))], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', ALTO_URL: fleet.gateway.url, ALTO_API_KEY: SDK_KEYS.main },
      });
      const out = JSON.parse(stdout);
      expect(out).toMatchObject({ status: 'succeeded', typed: 'Float32Array', error: 'prediction_not_found' });
      expect(out.y).toEqual((await runDirect('tiny', 'x', x, [1, 64])).data.map((v) => Math.fround(v)));

      // The example of the README and docs/clients.md, pointed at this fleet.
      const example = docExample('README.md', '## Client libraries', 'js');
      expect(docExample('docs/clients.md', '', 'js')).toBe(example);
      expect(example).toContain(EXAMPLE_URL);
      writeFileSync(join(dir, 'example.mjs'), example.replace(EXAMPLE_URL, fleet.gateway.url));
      const ran = await run(process.execPath, ['example.mjs'], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', ALTO_API_KEY: SDK_KEYS.main },
      });
      expect(ran.stdout).toMatch(/^succeeded Float32Array\(10\) \[/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
