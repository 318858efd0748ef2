// The fleet on a Redis Cluster: the run's local cluster of 3 masters and 3 replicas (see
// cluster-setup.ts), every process with ALTO_REDIS_CLUSTER=true and the nodes as REDIS_URL.
// A chosen subset of the e2e suites, one process set per part to keep the wall time modest:
// the connection mode, foundation (predict), lifecycle (webhooks, cancel, idempotency),
// guarantees (redelivery after a worker SIGKILL) and the publisher (publish, serve, unpublish,
// whose unpublish crosses the `{control}` and `{model}` slots).
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnProc } from '@alto/procs';
import { newPredictionId } from '@alto/protocol';
import { GROUP, PredictionStore, connect, keys as makeKeys } from '@alto/queue';
import { generateSecret } from '@alto/webhooks';
import type { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ADMIN_TOKEN,
  ROOT,
  startDispatcher,
  startGateway,
  startManagedWorker,
  startPublisher,
  queueBacklog,
  waitHoldingMidLoad,
  startWorker,
  testPrefix,
  type Proc,
} from './support/fleet.ts';
import { expectClose, getJson, postJson, randomFloats } from './support/http.ts';
import { runDirect } from './support/ort.ts';
import { tensor } from './support/queue-kit.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { waitFor } from './support/wait.ts';

const CLUSTER = { ALTO_REDIS_CLUSTER: 'true' };
const tinyX = (v: number) => ({ x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(v) } });

describe('Redis Cluster', () => {
  const url = inject('clusterUrl');
  const ports = inject('clusterPorts');
  let redis: Redis;
  beforeAll(async () => {
    redis = await connect(url, { name: 'test', cluster: true });
  });
  afterAll(async () => {
    await redis?.quit();
  });

  describe('connection mode', () => {
    const exitOf = async (env: Record<string, string>) => {
      const p = spawnProc(process.execPath, ['--import', 'tsx', 'apps/gateway/src/main.ts'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', ...env },
      });
      const code = await p.exited;
      return { code, output: p.output() };
    };

    it('a process in single mode pointed at a cluster node stops with one line naming ALTO_REDIS_CLUSTER', async () => {
      const r = await exitOf({ REDIS_URL: `redis://127.0.0.1:${ports[0]}` });
      expect(r.code).not.toBe(0);
      expect(r.output).toMatch(/is a Redis Cluster node; set ALTO_REDIS_CLUSTER=true/);
    });

    it('several seeds without ALTO_REDIS_CLUSTER are refused, naming the setting', async () => {
      const r = await exitOf({ REDIS_URL: url });
      expect(r.code).not.toBe(0);
      expect(r.output).toMatch(/REDIS_URL lists 6 nodes but ALTO_REDIS_CLUSTER is off/);
    });

    it('the models of one fleet land on different masters, each model in one slot', async () => {
      const k = makeKeys('any');
      const slot = async (key: string) => Number(await redis.cluster('KEYSLOT', key));
      // Every key of a model shares its slot: the scripts' KEYS never cross slots.
      for (const model of ['tiny', 'textdir']) {
        const slots = new Set(
          await Promise.all(
            [k.stream(model), k.stream(model, 'high'), k.prediction(model, 'p'), k.outbox(model)].map(slot),
          ),
        );
        expect(slots.size).toBe(1);
      }
      const shards = (await redis.cluster('SHARDS')) as unknown[];
      expect(shards).toHaveLength(3);
      expect(await slot(k.stream('tiny'))).not.toBe(await slot(k.stream('textdir')));
    });
  });

  describe('ALTO_REDIS_WAIT_REPLICAS', () => {
    const k = makeKeys(testPrefix('clusterwait'));
    const enqueue = (store: PredictionStore) =>
      store.enqueue({
        id: newPredictionId('tiny'),
        model: 'tiny',
        version: '1',
        format: 'json',
        tensors: new Map([['x', tensor(1)]]),
      });

    it("accepts an enqueue its master's replica confirmed", async () => {
      const r = await enqueue(new PredictionStore(redis, k, { replicas: 1, timeoutMs: 2000 }));
      expect(r.status).toBe('queued');
    });

    it('refuses, as retryable redis_unavailable, an enqueue fewer replicas confirmed than asked', async () => {
      // Each master has one replica: two never confirm.
      await expect(enqueue(new PredictionStore(redis, k, { replicas: 2, timeoutMs: 100 }))).rejects.toMatchObject({
        code: 'redis_unavailable',
        retryable: true,
        message: expect.stringMatching(/not confirmed by 2 Redis replica\(s\) within 100 ms .*1 did/),
      });
    });
  });

  describe('foundation, lifecycle and guarantees (a static worker)', () => {
    const prefix = testPrefix('cluster');
    const secret = generateSecret();
    const procs: Proc[] = [];
    let gateway: Proc & { url: string };
    let worker: Proc;
    let receiver: Receiver;

    beforeAll(async () => {
      receiver = await startReceiver();
      [gateway, worker] = await Promise.all([
        startGateway(url, prefix, { ...CLUSTER, ALTO_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32' }),
        startWorker(url, prefix, { ...CLUSTER, ALTO_MODELS: 'tiny', ALTO_WORKER_ID: 'tiny-1' }),
        startDispatcher(url, prefix, {
          ...CLUSTER,
          ALTO_WEBHOOK_SECRET: secret,
          ALTO_WEBHOOK_RETRY_SCHEDULE: '0,300ms',
          ALTO_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32',
          ALTO_DISPATCHER_ID: 'd1',
        }).then((d) => (procs.push(d), d)),
      ]);
      procs.push(gateway, worker);
    });
    afterAll(async () => {
      await Promise.all(procs.map((p) => p.kill('SIGKILL')));
      await receiver?.close();
    });

    const predict = (body: unknown, headers: Record<string, string> = {}) =>
      postJson(`${gateway.url}/v1/models/tiny/predictions`, body, headers);
    const get = async (id: string) => (await getJson(`${gateway.url}/v1/predictions/${id}`)).body;

    it('predicts: Prefer: wait answers 200 with the output of a direct onnxruntime run', async () => {
      const x = randomFloats(2 * 64, 7);
      const r = await predict(
        { input: { x: { datatype: 'FP32', shape: [2, 64], data: Array.from(x) } } },
        { prefer: 'wait=20' },
      );
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.output.y.shape).toEqual([2, 10]);
      expectClose(r.body.output.y.data, (await runDirect('tiny', 'x', x, [2, 64])).data);
    });

    it('predicts asynchronously: 202, then polling finds it succeeded', async () => {
      const r = await predict({ input: tinyX(0.5) });
      expect(r.status).toBe(202);
      const done = await waitFor(async () => ((await get(r.body.id)).status === 'succeeded' ? true : undefined), {
        what: 'the prediction to succeed',
      });
      expect(done).toBe(true);
    });

    it('delivers a signed completed webhook through the dispatcher', async () => {
      const r = await predict({ input: tinyX(0.25), webhook: `${receiver.url}/hook` });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      const [hit] = await waitFor(() => (receiver.to('/hook').length > 0 ? receiver.to('/hook') : undefined), {
        what: 'the webhook request',
      });
      const event = new Webhook(secret).verify(hit!.body, hit!.headers as Record<string, string>) as any;
      expect(event.type).toBe('prediction.completed');
      expect(event.data).toMatchObject({ id: r.body.id, status: 'succeeded' });
      await waitFor(
        async () => ((await get(r.body.id)).webhooks?.deliveries ?? []).some((d: any) => d.state === 'delivered'),
        { what: 'the delivery recorded as delivered' },
      );
    });

    it('cancels a queued prediction', async () => {
      // Paused, the worker reads nothing: the prediction stays queued until canceled.
      worker.child.kill('SIGSTOP');
      try {
        const r = await predict({ input: tinyX(0.75) });
        expect(r.status).toBe(202);
        const canceled = await postJson(`${gateway.url}/v1/predictions/${r.body.id}/cancel`, '');
        expect(canceled.status, JSON.stringify(canceled.body)).toBe(200);
        expect((await get(r.body.id)).status).toBe('canceled');
      } finally {
        worker.child.kill('SIGCONT');
      }
    });

    it('Idempotency-Key: a retry returns the first prediction; another body with the key is 422', async () => {
      const first = await predict({ input: tinyX(0.1) }, { 'idempotency-key': 'cluster-1' });
      const again = await predict({ input: tinyX(0.1) }, { 'idempotency-key': 'cluster-1' });
      expect(first.status).toBe(202);
      expect(again.body.id).toBe(first.body.id);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const other = await predict({ input: tinyX(0.2) }, { 'idempotency-key': 'cluster-1' });
      expect(other.status).toBe(422);
      expect(other.body.error.code).toBe('idempotency_key_reused');
    });

    it('finishes every request after a worker is SIGKILLed mid-load, with nothing left pending', async () => {
      const stream = makeKeys(prefix).stream('textdir');
      const fast = { ...CLUSTER, ALTO_MODELS: 'textdir', ALTO_VISIBILITY_TIMEOUT_MS: '1000' };
      const doomed = await startWorker(url, prefix, { ...fast, ALTO_WORKER_ID: 'doomed' });
      procs.push(doomed);
      const ids = await queueBacklog(doomed, gateway.url, 200, 2);
      await waitHoldingMidLoad(redis, stream, 'doomed', ids.length);
      await doomed.kill('SIGKILL');
      const rescuer = await startWorker(url, prefix, { ...fast, ALTO_WORKER_ID: 'rescuer' });
      procs.push(rescuer);
      await waitFor(
        async () => (await Promise.all(ids.map(async (id) => (await get(id)).status))).every((s) => s === 'succeeded'),
        { timeoutMs: 60_000, intervalMs: 300, what: 'every request to succeed' },
      );
      expect((await redis.xpending(stream, GROUP))[0]).toBe(0);
      expect(await redis.xlen(stream)).toBe(0);
    });

    it('lists models of different masters with their replicas and queue depths', async () => {
      const { body } = await getJson(`${gateway.url}/v1/models`);
      const byName = Object.fromEntries(body.models.map((m: any) => [m.name, m]));
      expect(byName.tiny).toMatchObject({ ready_replicas: 1, queue_depth: 0 });
      // The SIGKILLed worker may still count until its last heartbeat expires.
      expect(byName.textdir).toMatchObject({ ready_replicas: expect.any(Number), queue_depth: 0 });
      expect(byName.textdir.ready_replicas).toBeGreaterThanOrEqual(1);
    });

    it('relays the webhooks of models on different masters', async () => {
      const textdir = { x: { datatype: 'FP32', shape: [1, 3, 48, 192], data: new Array(3 * 48 * 192).fill(0.1) } };
      const submitted = await Promise.all([
        postJson(`${gateway.url}/v1/models/textdir/predictions`, { input: textdir, webhook: `${receiver.url}/td` }),
        predict({ input: tinyX(0.3), webhook: `${receiver.url}/tn` }),
      ]);
      expect(submitted.map((r) => r.status)).toEqual([202, 202]);
      for (const [path, r] of [
        ['/td', submitted[0]!],
        ['/tn', submitted[1]!],
      ] as const) {
        const [hit] = await waitFor(() => (receiver.to(path).length > 0 ? receiver.to(path) : undefined), {
          what: `the webhook to ${path}`,
        });
        expect(JSON.parse(hit!.body).data).toMatchObject({ id: r.body.id, status: 'succeeded' });
      }
    });
  });

  describe('publisher', () => {
    const prefix = testPrefix('clusterpub');
    const repo = mkdtempSync(join(tmpdir(), 'alto-cluster-repo-'));
    const tinyBase = join(repo, 'tiny');
    const procs: Proc[] = [];
    let gateway: Proc & { url: string };

    beforeAll(async () => {
      mkdirSync(join(tinyBase, '1'), { recursive: true });
      cpSync(join(ROOT, 'models/tiny/config.json'), join(tinyBase, 'config.json'));
      cpSync(join(ROOT, 'models/tiny/1/model.onnx'), join(tinyBase, '1', 'model.onnx'));
      const publisher = await startPublisher(url, prefix, { ...CLUSTER, ALTO_ALLOWED_ROOTS: repo });
      procs.push(publisher);
      const [g, w] = await Promise.all([
        startGateway(url, prefix, { ...CLUSTER, ALTO_PUBLISHER_URL: publisher.url }),
        startManagedWorker(url, prefix, 'w1', { ...CLUSTER, ALTO_CACHE_DIR: join(repo, '.cache-w1') }),
      ]);
      gateway = g;
      procs.push(g, w);
    });
    afterAll(async () => {
      await Promise.all(procs.map((p) => p.kill('SIGKILL')));
      rmSync(repo, { recursive: true, force: true });
    });

    const admin = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${gateway.url}/v1/admin${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const predict = () =>
      postJson(`${gateway.url}/v1/models/tiny/predictions`, { input: tinyX(0.25) }, { prefer: 'wait=20' });

    it('publishes a model: assigned, loaded, and predictions succeed', async () => {
      expect((await admin('POST', '/models', { name: 'tiny', uri: tinyBase, replicas: 1 })).status).toBe(201);
      await waitFor(async () => (await admin('GET', '/models/tiny')).body.status?.state === 'available', {
        what: 'tiny available',
      });
      const r = await predict();
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.status).toBe('succeeded');
    });

    it('unpublishes: queued requests fail with model_unpublished, new ones get 404', async () => {
      expect((await admin('PATCH', '/models/tiny', { replicas: 0 })).status).toBe(200);
      await waitFor(async () => (await admin('GET', '/models/tiny')).body.workers.length === 0, {
        what: 'no replicas',
      });
      const queued = await postJson(`${gateway.url}/v1/models/tiny/predictions`, { input: tinyX(0.5) });
      expect(queued.status).toBe(202);
      const gone = await admin('DELETE', '/models/tiny');
      expect(gone).toMatchObject({ status: 200, body: { name: 'tiny', unpublished: true, failed_queued: 1 } });
      const p = await getJson(`${gateway.url}/v1/predictions/${queued.body.id}`);
      expect(p.body).toMatchObject({ status: 'failed', error: { code: 'model_unpublished' } });
      const refused = await predict();
      expect(refused.status).toBe(404);
      expect((await admin('GET', '/models/tiny')).status).toBe(404);
    });
  });
});
