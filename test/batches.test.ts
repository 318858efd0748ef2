// Batch jobs end to end (docs/batches.md): a real gateway feeding a real worker serving
// `tiny`, inputs and shards on local files and on fake-gcs-server. 10,000 lines each way all
// succeed, once each, with tiny's outputs; the batch never holds more than its share of the
// model's queue bound while interactive high-priority requests keep completing promptly;
// cancel stops new work; bad requests get 400s naming the field.
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { batchKeys } from '@alto/batches';
import { ANONYMOUS, connect, keys } from '@alto/queue';
import type { Storage } from '@google-cloud/storage';
import { generateSecret } from '@alto/webhooks';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { gcsResults, localResults, resultProblems, tinyLines, type ResultRow } from './support/batches.ts';
import { createBucket } from './support/checkpoint-fixtures.ts';
import { startFakeGcs, type FakeGcs } from './support/fake-gcs.ts';
import { adminRequest } from './support/admin.ts';
import { alto } from './support/cli.ts';
import { validate } from './support/json-schema.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import {
  ROOT,
  startGateway,
  startDispatcher,
  startManagedWorker,
  startPublisher,
  startWorker,
  testPrefix,
  type Proc,
} from './support/fleet.ts';
import { getJson, postJson } from './support/http.ts';
import { runDirect } from './support/ort.ts';
import { waitFor } from './support/wait.ts';

const N = 10_000;
const BUCKET = 'alto-batches';
/** tinyq: tiny with max_queue_length 20, so a batch may hold 10 of its queue. */
const QUEUE_BOUND = 20;

describe('batch jobs', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('batches');
  let dir: string;
  let io: string;
  let gcs: FakeGcs;
  let storage: Storage;
  let gateway: Proc & { url: string };
  let worker: Proc;
  let dispatcher: Proc;
  let receiver: Receiver;
  const secret = generateSecret();

  const create = (body: unknown) => postJson(`${gateway.url}/v1/batches`, body);
  const get = async (id: string) => (await getJson(`${gateway.url}/v1/batches/${id}`)).body;
  const finished = (id: string, timeoutMs = 240_000) =>
    waitFor(async () => ((b) => (b.finished_at ? b : undefined))(await get(id)), {
      timeoutMs,
      intervalMs: 200,
      what: `batch ${id} to finish`,
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alto-batches-'));
    io = join(dir, 'io');
    await mkdir(io);
    const repo = join(dir, 'models');
    await cp(join(ROOT, 'models/tiny'), join(repo, 'tiny'), { recursive: true });
    await cp(join(ROOT, 'models/tiny'), join(repo, 'tinyq'), { recursive: true });
    await writeFile(
      join(repo, 'tinyq/config.json'),
      JSON.stringify({ max_batch_size: 64, max_queue_delay_ms: 0, max_queue_length: QUEUE_BOUND }),
    );
    gcs = await startFakeGcs();
    storage = await createBucket(gcs, BUCKET);
    worker = await startWorker(redisUrl, prefix, { ALTO_MODEL_REPOSITORY: repo });
    gateway = await startGateway(redisUrl, prefix, {
      ALTO_PAYLOAD_ROOTS: `${io},gs://${BUCKET}/io`,
      STORAGE_EMULATOR_HOST: gcs.endpoint,
      ALTO_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32',
    });
    receiver = await startReceiver();
    dispatcher = await startDispatcher(redisUrl, prefix, {
      ALTO_WEBHOOK_SECRET: secret,
      ALTO_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32',
    });
    for (const m of ['tiny', 'tinyq']) {
      await waitFor(async () => (await getJson(`${gateway.url}/v1/models/${m}`)).body.ready_replicas > 0, {
        timeoutMs: 60_000,
        what: `${m} to be served`,
      });
    }
  });

  afterAll(async () => {
    await gateway?.kill('SIGKILL');
    await worker?.kill('SIGKILL');
    await dispatcher?.kill('SIGKILL');
    await receiver?.close();
    await gcs?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** tiny's output for row i of tinyLines(N), computed by onnxruntime directly. */
  const expected = async (i: number, n: number) =>
    (await runDirect('tiny', 'x', new Float32Array(64).fill(i / n), [1, 64])).data;

  const checkOutputs = async (rows: ResultRow[], n: number) => {
    for (const i of [0, Math.floor(n / 2), n - 1]) {
      const row = rows.find((r) => r.custom_id === `row-${i}`)!;
      const want = await expected(i, n);
      row.output!.y!.data.forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 4));
    }
  };

  it('refuses a batch with a missing field, a URI outside ALTO_PAYLOAD_ROOTS or no input object, naming each', async () => {
    const missing = await create({ model: 'tiny', output_uri: pathToFileURL(io).href });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('invalid_input');
    expect(missing.body.error.message).toContain("field 'input_uri'");

    const outside = await create({
      model: 'tiny',
      input_uri: 'file:///etc/passwd',
      output_uri: pathToFileURL(io).href,
    });
    expect(outside.status).toBe(400);
    expect(outside.body.error.code).toBe('uri_not_allowed');
    expect(outside.body.error.message).toContain('ALTO_PAYLOAD_ROOTS');
    expect(outside.body.error.message).toContain("'file:///etc/passwd'");
    expect(outside.body.error.message).toContain(io);

    const otherBucket = await create({
      model: 'tiny',
      input_uri: `gs://${BUCKET}/io/in.jsonl`,
      output_uri: 'gs://elsewhere/out',
    });
    expect(otherBucket.status).toBe(400);
    expect(otherBucket.body.error.message).toContain("field 'output_uri'");

    const absent = await create({
      model: 'tiny',
      input_uri: pathToFileURL(join(io, 'absent.jsonl')).href,
      output_uri: pathToFileURL(io).href,
    });
    expect(absent.status).toBe(400);
    expect(absent.body.error.message).toContain("field 'input_uri'");

    const unknownField = await create({ model: 'tiny', input_uri: 'x', output_uri: 'y', webhooks: 'z' });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error.message).toContain('webhooks');

    // A link below the root that leads outside it is refused on what it resolves to.
    const outsideDir = await mkdtemp(join(tmpdir(), 'alto-batches-outside-'));
    await symlink(outsideDir, join(io, 'escape'));
    const linked = await create({
      model: 'tiny',
      input_uri: pathToFileURL(join(io, 'absent.jsonl')).href,
      output_uri: pathToFileURL(join(io, 'escape', 'out')).href,
    });
    expect(linked.status).toBe(400);
    expect(linked.body.error.code).toBe('uri_not_allowed');
    expect(linked.body.error.message).toContain("field 'output_uri'");
    await rm(outsideDir, { recursive: true, force: true });

    const model = await create({ model: 'nope', input_uri: 'x', output_uri: 'y' });
    expect(model.status).toBe(404);
    expect(model.body.error.code).toBe('model_not_found');

    const unknown = await getJson(`${gateway.url}/v1/batches/batch_nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('batch_not_found');
  });

  it(`runs ${N} lines from file:// to file:// shards, each custom_id once, while high-priority requests complete promptly`, async () => {
    const input = join(io, 'tiny.jsonl');
    await writeFile(input, tinyLines(N));
    const started = Date.now();
    const res = await create({
      model: 'tiny',
      input_uri: pathToFileURL(input).href,
      output_uri: pathToFileURL(join(io, 'out')).href,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'queued', priority: 'low', counts: { fed: 0 } });
    const id: string = res.body.id;
    await waitFor(async () => (await get(id)).counts.succeeded > 0, { timeoutMs: 60_000, what: 'the batch to run' });

    // Interactive requests while the batch runs: each is answered within a few seconds.
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = Date.now();
      const r = await postJson(
        `${gateway.url}/v1/models/tiny/predictions`,
        { input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.25) } }, priority: 'high' },
        { prefer: 'wait=30' },
      );
      expect(r.status).toBe(200);
      expect(r.body.status).toBe('succeeded');
      latencies.push(Date.now() - t);
    }
    const during = await get(id);
    expect(during.status).toBe('running');
    expect(Math.max(...latencies)).toBeLessThan(3000);

    const b = await finished(id);
    const seconds = (Date.now() - started) / 1000;
    expect(b).toMatchObject({
      status: 'succeeded',
      counts: { total: N, fed: N, succeeded: N, failed: 0, outstanding: 0 },
    });
    expect(b.rows_per_second).toBeGreaterThan(0);
    const { rows, shards } = await localResults(join(io, 'out', id));
    expect(shards).toBe(b.shards);
    expect(resultProblems(rows, N)).toEqual([]);
    await checkOutputs(rows, N);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    const written = Number(/^alto_batch_rows_total\{outcome="succeeded"\} (\d+)/m.exec(metrics)?.[1]);
    expect(written).toBeGreaterThanOrEqual(N);
    console.log(`file:// batch: ${N} lines in ${seconds.toFixed(1)} s (${b.rows_per_second} rows/s), ${shards} shards`);
  }, 300_000);

  it(`runs ${N} lines from gs:// (fake-gcs-server) to gs:// shards, each custom_id once`, async () => {
    await storage.bucket(BUCKET).file('io/tiny.jsonl').save(tinyLines(N), { resumable: false });
    const res = await create({
      model: 'tiny',
      input_uri: `gs://${BUCKET}/io/tiny.jsonl`,
      output_uri: `gs://${BUCKET}/io/out`,
    });
    expect(res.status).toBe(201);
    const b = await finished(res.body.id);
    expect(b).toMatchObject({ status: 'succeeded', counts: { total: N, succeeded: N, failed: 0 } });
    const { rows, shards } = await gcsResults(storage, BUCKET, `io/out/${res.body.id}/`);
    expect(shards).toBe(b.shards);
    expect(resultProblems(rows, N)).toEqual([]);
    await checkOutputs(rows, N);
  }, 300_000);

  it('keeps at most half the model queue bound outstanding, leaving room for interactive requests', async () => {
    const n = 300;
    const input = join(io, 'bound.jsonl');
    await writeFile(input, tinyLines(n));
    worker.child.kill('SIGSTOP');
    let id = '';
    try {
      const res = await create({
        model: 'tinyq',
        input_uri: pathToFileURL(input).href,
        output_uri: pathToFileURL(join(io, 'out')).href,
      });
      id = res.body.id;
      await waitFor(async () => (await get(id)).counts.fed >= QUEUE_BOUND / 2, { what: 'the batch to fill its share' });
      // Observe the queue while the worker is stopped: the feeder has every chance to overfill it.
      let most = 0;
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        const depth = (await getJson(`${gateway.url}/v1/models/tinyq`)).body.queue_depth as number;
        most = Math.max(most, depth, (await get(id)).counts.fed);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(most).toBe(QUEUE_BOUND / 2);
      // The other half is the interactive requests': one is accepted, not refused queue_full.
      const r = await postJson(`${gateway.url}/v1/models/tinyq/predictions`, {
        input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.5) } },
        priority: 'high',
      });
      expect(r.status).toBe(202);
    } finally {
      worker.child.kill('SIGCONT');
    }
    const b = await finished(id);
    expect(b.counts).toMatchObject({ total: n, succeeded: n });
  }, 120_000);

  it('cancel mid-run stops new work: nothing is fed after it, and every fed line still has one result', async () => {
    const n = 2000;
    const input = join(io, 'cancel.jsonl');
    await writeFile(input, tinyLines(n));
    worker.child.kill('SIGSTOP');
    let id = '';
    let fedAtCancel: number | undefined;
    let b: { status: string; counts: Record<string, number> } | undefined;
    try {
      const res = await create({
        model: 'tiny',
        input_uri: pathToFileURL(input).href,
        output_uri: pathToFileURL(join(io, 'out')).href,
      });
      id = res.body.id;
      await waitFor(async () => (await get(id)).counts.fed >= 32, { what: 'the batch to be fed' });
      const canceled = await postJson(`${gateway.url}/v1/batches/${id}/cancel`, {});
      expect(canceled.status).toBe(200);
      expect(canceled.body.status).toBe('canceled');
      fedAtCancel = canceled.body.counts.fed;
      // While the worker is stopped: the feeder cancels every queued prediction, writes their
      // results and ends the batch without any of them running.
      b = await finished(id, 60_000);
    } finally {
      worker.child.kill('SIGCONT');
    }
    expect(b?.status).toBe('canceled');
    expect(b!.counts.fed).toBe(fedAtCancel);
    expect(b!.counts.fed).toBeLessThan(n);
    expect(b!.counts).toMatchObject({ succeeded: 0, failed: 0, canceled: fedAtCancel, outstanding: 0 });
    const { rows } = await localResults(join(io, 'out', id));
    expect(rows).toHaveLength(b!.counts.fed!);
    expect(new Set(rows.map((r) => r.custom_id)).size).toBe(rows.length);
    // Listing shows it.
    const list = await getJson(`${gateway.url}/v1/batches`);
    expect(list.body.batches.map((x: { id: string }) => x.id)).toContain(id);
  }, 120_000);

  it('alto batch create, get --watch, ls and cancel', async () => {
    const input = join(io, 'cli.jsonl');
    await writeFile(input, tinyLines(50));
    const env = { ALTO_URL: gateway.url };
    const created = await alto(
      [
        'batch',
        'create',
        'tiny',
        '--input',
        pathToFileURL(input).href,
        '--output',
        pathToFileURL(join(io, 'out')).href,
        '--json',
      ],
      { env },
    );
    expect(created.code, created.stderr).toBe(0);
    const id = (JSON.parse(created.stdout) as { id: string }).id;
    const watched = await alto(['batch', 'get', id, '--watch'], { env });
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toMatch(/status:\s+succeeded/);
    expect(watched.stdout).toMatch(/progress:\s+50\/50 \(100%\)/);
    const listed = await alto(['batch', 'ls'], { env });
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toContain('ROWS/S');
    // A finished batch is returned unchanged by cancel.
    const canceled = await alto(['batch', 'cancel', id, '--json'], { env });
    expect(JSON.parse(canceled.stdout).status).toBe('succeeded');
    const refused = await alto(
      ['batch', 'create', 'tiny', '--input', 'file:///etc/passwd', '--output', pathToFileURL(io).href],
      { env },
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('uri_not_allowed');
  }, 120_000);

  it('every batch reply conforms to /openapi.json: its status documented, its body the documented schema', async () => {
    const doc = (await getJson(`${gateway.url}/openapi.json`)).body;
    const conforms = async (method: string, template: string, path: string, body?: unknown) => {
      const res = await fetch(`${gateway.url}${path}`, {
        method: method.toUpperCase(),
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      const response = doc.paths[template]?.[method]?.responses?.[String(res.status)];
      expect(response, `${method} ${template} → ${res.status} is documented`).toBeDefined();
      const json = (await res.json()) as Record<string, any>;
      expect(validate(json, response.content['application/json'].schema, doc)).toEqual([]);
      return { status: res.status, body: json };
    };
    const input = join(io, 'doc.jsonl');
    await writeFile(input, tinyLines(3) + 'not json\n');
    const out = pathToFileURL(join(io, 'out')).href;
    const created = await conforms('post', '/v1/batches', '/v1/batches', {
      model: 'tiny',
      input_uri: pathToFileURL(input).href,
      output_uri: out,
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const b = await finished(id, 60_000);
    // A line that is not JSON fails alone, with its error in its result line.
    expect(b.counts).toMatchObject({ total: 4, succeeded: 3, failed: 1 });
    const { rows } = await localResults(join(io, 'out', id));
    expect(rows.find((r) => r.line === 4)).toMatchObject({
      custom_id: null,
      status: 'failed',
      error: { code: 'invalid_json' },
    });
    expect((await conforms('get', '/v1/batches/{id}', `/v1/batches/${id}`)).status).toBe(200);
    expect((await conforms('get', '/v1/batches', '/v1/batches')).status).toBe(200);
    expect((await conforms('post', '/v1/batches/{id}/cancel', `/v1/batches/${id}/cancel`)).status).toBe(200);
    expect((await conforms('post', '/v1/batches/{id}/cancel', '/v1/batches/nope/cancel')).status).toBe(404);
    expect((await conforms('get', '/v1/batches/{id}', '/v1/batches/nope')).status).toBe(404);
    expect((await conforms('post', '/v1/batches', '/v1/batches', { model: 'tiny' })).status).toBe(400);
    expect((await conforms('post', '/v1/batches', '/v1/batches', 'x'.repeat(20_000))).status).toBe(413);
    const outside = { model: 'tiny', input_uri: 'gs://other/x', output_uri: out };
    expect((await conforms('post', '/v1/batches', '/v1/batches', outside)).status).toBe(400);
  });

  it('sends one signed batch.completed webhook when the batch ends, and refuses an internal webhook address', async () => {
    const input = join(io, 'hook.jsonl');
    await writeFile(input, tinyLines(20));
    const out = pathToFileURL(join(io, 'out')).href;
    const res = await create({
      model: 'tiny',
      input_uri: pathToFileURL(input).href,
      output_uri: out,
      webhook: `${receiver.url}/batch`,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.webhook).toBe(`${receiver.url}/batch`);
    await finished(res.body.id, 60_000);
    const [hook] = await waitFor(() => receiver.to('/batch').length > 0 && receiver.to('/batch'), {
      what: 'the webhook',
    });
    const event = new Webhook(secret).verify(hook!.body, hook!.headers as Record<string, string>) as any;
    expect(event).toMatchObject({
      type: 'batch.completed',
      data: { id: res.body.id, status: 'succeeded', counts: { succeeded: 20 } },
    });
    expect(hook!.headers['webhook-id']).toBe(`${res.body.id}.completed`);

    const refused = await create({
      model: 'tiny',
      input_uri: pathToFileURL(input).href,
      output_uri: out,
      webhook: 'http://10.1.2.3/x',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('webhook_refused');
    expect(refused.body.error.message).toContain("field 'webhook'");
    // Exactly one delivery: no second event for the batch arrives while the next one is run.
    const second = await create({
      model: 'tiny',
      input_uri: pathToFileURL(input).href,
      output_uri: out,
      webhook: `${receiver.url}/batch2`,
    });
    await finished(second.body.id, 60_000);
    await waitFor(() => receiver.to('/batch2').length > 0, { what: 'the second webhook' });
    expect(receiver.to('/batch')).toHaveLength(1);
  }, 120_000);
});

describe('batch jobs across feeder crashes', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('batchcrash');
  let dir: string;
  let worker: Proc;
  const procs: Proc[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alto-batch-crash-'));
    worker = await startWorker(redisUrl, prefix);
    procs.push(worker);
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a gateway killed after submitting a line, after sealing a shard and after writing one leaves each line once', async () => {
    const n = 2000;
    const input = join(dir, 'in.jsonl');
    await writeFile(input, tinyLines(n));
    const gateway = async (failpoint?: string) => {
      const g = await startGateway(redisUrl, prefix, {
        ALTO_PAYLOAD_ROOTS: dir,
        ...(failpoint ? { ALTO_FAILPOINT_BATCH: failpoint } : {}),
      });
      procs.push(g);
      return g;
    };
    const killedBy = (g: Proc, failpoint: string) =>
      waitFor(() => g.gone() && g.output().includes(`ALTO_FAILPOINT_BATCH=${failpoint}`), {
        timeoutMs: 90_000,
        intervalMs: 100,
        what: `the gateway to die at ${failpoint}`,
      });

    let g = await gateway('submitted:700');
    await waitFor(async () => (await getJson(`${g.url}/v1/models/tiny`)).body.ready_replicas > 0, {
      timeoutMs: 60_000,
      what: 'tiny to be served',
    });
    const res = await postJson(`${g.url}/v1/batches`, {
      model: 'tiny',
      input_uri: pathToFileURL(input).href,
      output_uri: pathToFileURL(join(dir, 'out')).href,
    });
    expect(res.status).toBe(201);
    const id: string = res.body.id;
    await killedBy(g, 'submitted:700');

    // The next gateway dies once it seals the next shard, the one after that once it has
    // written that shard's object (its first step: the shard is sealed and unwritten).
    const view = async () => (await getJson(`${g.url}/v1/batches/${id}`)).body;
    const meta = await connect(redisUrl, { name: 'test' });
    const shards = Number(await meta.hget(batchKeys(prefix).meta(id), 'sealed'));
    meta.disconnect();
    const sealedAt = `sealed:${shards + 1}`;
    g = await gateway(sealedAt);
    await killedBy(g, sealedAt);
    const writtenAt = `written:${shards + 1}`;
    g = await gateway(writtenAt);
    await killedBy(g, writtenAt);

    g = await gateway();
    const b = await waitFor(async () => ((v) => (v.finished_at ? v : undefined))(await view()), {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: 'the batch to finish',
    });
    expect(b).toMatchObject({ status: 'succeeded', counts: { total: n, fed: n, succeeded: n, failed: 0 } });
    const { rows } = await localResults(join(dir, 'out', id));
    expect(resultProblems(rows, n)).toEqual([]);
    // Line 700 was submitted twice (before and after the crash) and is one prediction: the
    // prefix holds exactly n predictions, the ones the shards name.
    expect(new Set(rows.map((r) => r.prediction_id)).size).toBe(n);
    const redis = await connect(redisUrl, { name: 'test' });
    try {
      expect(await redis.zcard(keys(prefix).ownerPredictions(ANONYMOUS))).toBe(n);
    } finally {
      redis.disconnect();
    }
  }, 300_000);
});

describe('batch jobs of a managed API key', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('batchkeys');
  let dir: string;
  const procs: Proc[] = [];
  let gateway: Proc & { url: string };
  let worker: Proc;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alto-batch-keys-'));
    await cp(join(ROOT, 'models/tiny'), join(dir, 'models/tiny'), { recursive: true });
    const publisher = await startPublisher(redisUrl, prefix, { ALTO_ALLOWED_ROOTS: join(dir, 'models') });
    procs.push(publisher);
    gateway = await startGateway(redisUrl, prefix, {
      ALTO_PUBLISHER_URL: publisher.url,
      ALTO_MANAGED_API_KEYS: 'true',
      ALTO_PAYLOAD_ROOTS: dir,
    });
    procs.push(gateway);
    worker = await startManagedWorker(redisUrl, prefix, 'batch-keys-w1', { ALTO_CACHE_DIR: join(dir, 'cache') });
    procs.push(worker);
    const r = await adminRequest(publisher.url, 'POST', '/models', {
      name: 'tiny',
      uri: join(dir, 'models/tiny'),
      replicas: 1,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    await waitFor(async () => (await fetch(`${gateway.url}/v1/models/tiny`)).ok, {
      timeoutMs: 60_000,
      what: 'tiny served',
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("counts the batch's lines against the key's queued limit as they are fed, and releases them as they end", async () => {
    const key = await adminRequest(gateway.url, 'POST', '/keys', { name: 'batch', owner: 'team-b', max_queued: 5 });
    expect(key.status, JSON.stringify(key.body)).toBe(201);
    const auth = { authorization: `Bearer ${key.body.secret}` };
    const n = 200;
    const input = join(dir, 'in.jsonl');
    await writeFile(input, tinyLines(n));
    const tinyRequest = { input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.5) } } };
    const redis = await connect(redisUrl, { name: 'test' });
    const counted = () => redis.zcard(keys(prefix).apiKeyOutstanding(key.body.id));
    worker.child.kill('SIGSTOP');
    let id = '';
    try {
      const res = await postJson(
        `${gateway.url}/v1/batches`,
        { model: 'tiny', input_uri: pathToFileURL(input).href, output_uri: pathToFileURL(join(dir, 'out')).href },
        auth,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      id = res.body.id;
      // Another key sees no such batch.
      expect((await getJson(`${gateway.url}/v1/batches/${id}`)).status).toBe(401);
      await waitFor(async () => (await counted()) === 5, { what: 'the batch to reach the key limit' });
      let most = 0;
      const until = Date.now() + 1000;
      while (Date.now() < until) {
        most = Math.max(
          most,
          await counted(),
          (await getJson(`${gateway.url}/v1/batches/${id}`, auth)).body.counts.fed,
        );
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(most).toBe(5);
      // The key is at its limit: its interactive requests are refused until the batch's lines end.
      const over = await postJson(`${gateway.url}/v1/models/tiny/predictions`, tinyRequest, auth);
      expect(over.status).toBe(429);
      expect(over.body.error.code).toBe('quota_exceeded');
    } finally {
      worker.child.kill('SIGCONT');
    }
    const b = await waitFor(
      async () =>
        ((v) => (v.finished_at ? v : undefined))((await getJson(`${gateway.url}/v1/batches/${id}`, auth)).body),
      { timeoutMs: 120_000, intervalMs: 200, what: 'the batch to finish' },
    );
    expect(b.counts).toMatchObject({ total: n, succeeded: n, failed: 0 });
    expect(await counted()).toBe(0);
    redis.disconnect();
    const after = await postJson(`${gateway.url}/v1/models/tiny/predictions`, tinyRequest, auth);
    expect(after.status).toBe(202);
    const listed = await getJson(`${gateway.url}/v1/batches`, auth);
    expect(listed.body.batches.map((x: { id: string }) => x.id)).toEqual([id]);
  }, 180_000);
});
