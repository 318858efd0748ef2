// Per-key usage end to end: a publisher, a gateway with managed keys and a bootstrap key, and a
// managed worker serving `tiny` (onnxruntime) and `simmy` (a sim model whose batch of n rows
// costs exactly 10·n ms, so every request's share of compute is known in advance). Two
// managed keys send known numbers of predictions, one expires and one is canceled; the admin
// API, `alto keys` and the worker's and gateway's /metrics count them exactly per key, model
// and status; compute seconds split by rows; and nothing stored holds a secret.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@alto/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminRequest } from './support/admin.ts';
import { alto } from './support/cli.ts';
import {
  ADMIN_TOKEN,
  ROOT,
  startGateway,
  startManagedWorker,
  startPublisher,
  testPrefix,
  type Proc,
} from './support/fleet.ts';
import { getJson, postJson, randomFloats } from './support/http.ts';
import { waitFor } from './support/wait.ts';

const WIDTH = 8;
/** simmy: a batch of n rows takes 0 + 10·n ms, so a request of r rows costs 0.01·r s whatever its batch. */
const SIM = { width: WIDTH, a_ms: 0, b_ms: 10 };
const BOOTSTRAP = 'bootstrap-key-for-usage-test-0123456789';
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const tinyBody = { input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.5) } } };
const simBody = (rows: number, seed: number) => ({
  input: { x: { datatype: 'FP32', shape: [rows, WIDTH], data: Array.from(randomFloats(rows * WIDTH, seed)) } },
});

interface Usage {
  predictions: Record<string, number>;
  compute_seconds: Record<string, number>;
}

/** Samples of a Prometheus text exposition: `name` → list of { labels, value }. */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** The sum of `name`'s samples whose labels include `want`. */
const metric = (text: string, name: string, want: Record<string, string>) =>
  samples(text, name)
    .filter((s) => Object.entries(want).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);

describe('per-key usage', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('keyusage');
  const repo = mkdtempSync(join(tmpdir(), 'alto-keyusage-repo-'));
  let publisher: Proc & { url: string };
  let gateway: Proc & { url: string };
  let worker: Proc;
  let workerMetrics: string;
  let redis: Redis;
  const keys: Record<'a' | 'b', { id: string; secret: string }> = {} as never;

  const predict = (model: string, body: unknown, secret: string, wait = true) =>
    postJson(`${gateway.url}/v1/models/${model}/predictions`, body, {
      ...bearer(secret),
      ...(wait ? { prefer: 'wait=30' } : {}),
    });
  const usageOf = async (id: string): Promise<Usage> => {
    const r = await adminRequest(gateway.url, 'GET', '/keys');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.keys.find((k: { id: string }) => k.id === id).usage;
  };

  beforeAll(async () => {
    mkdirSync(join(repo, 'tiny', '1'), { recursive: true });
    cpSync(join(ROOT, 'models/tiny/1/model.onnx'), join(repo, 'tiny', '1', 'model.onnx'));
    mkdirSync(join(repo, 'simmy', '1'), { recursive: true });
    writeFileSync(join(repo, 'simmy', '1', 'model.sim'), JSON.stringify(SIM));
    writeFileSync(join(repo, 'simmy', 'config.json'), JSON.stringify({ max_batch_size: 16, max_queue_delay_ms: 20 }));
    // The worker is stopped for a moment below: not long enough to be taken for dead.
    publisher = await startPublisher(redisUrl, prefix, { ALTO_ALLOWED_ROOTS: repo, ALTO_WORKER_TIMEOUT_MS: '20000' });
    gateway = await startGateway(redisUrl, prefix, {
      ALTO_PUBLISHER_URL: publisher.url,
      ALTO_MANAGED_API_KEYS: 'true',
      ALTO_API_KEYS: BOOTSTRAP,
    });
    worker = await startManagedWorker(redisUrl, prefix, 'usage-w1', { ALTO_CACHE_DIR: join(repo, '.cache') });
    const port = /"metrics_port":(\d+)/.exec(worker.output())![1];
    workerMetrics = `http://127.0.0.1:${port}/metrics`;
    for (const name of ['tiny', 'simmy']) {
      const r = await adminRequest(publisher.url, 'POST', '/models', { name, uri: join(repo, name), replicas: 1 });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    await waitFor(
      async () =>
        (
          await Promise.all(['tiny', 'simmy'].map(async (m) => (await fetch(`${gateway.url}/v1/models/${m}`)).ok))
        ).every(Boolean),
      { what: 'tiny and simmy served', timeoutMs: 60_000 },
    );
    for (const name of ['a', 'b'] as const) {
      const r = await adminRequest(gateway.url, 'POST', '/keys', { name: `usage-${name}`, owner: 'team-u' });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      keys[name] = { id: r.body.id, secret: r.body.secret };
    }
    redis = await connect(redisUrl, { name: 'test' });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill(), publisher?.kill()]);
    await redis?.quit();
    rmSync(repo, { recursive: true, force: true });
  });

  it('starts every key with empty usage', async () => {
    expect(await usageOf(keys.a.id)).toEqual({ predictions: {}, compute_seconds: {} });
  });

  it('counts predictions per key, model and final status, and splits compute by rows', async () => {
    const { a, b } = keys;
    // tiny: a 6 requests, b 2, and one with the bootstrap key.
    const replies = await Promise.all([
      ...Array.from({ length: 6 }, () => predict('tiny', tinyBody, a.secret)),
      ...Array.from({ length: 2 }, () => predict('tiny', tinyBody, b.secret)),
      predict('tiny', tinyBody, BOOTSTRAP),
    ]);
    for (const r of replies) expect(r.body.status, JSON.stringify(r.body)).toBe('succeeded');

    // With the worker stopped: simmy requests queue up, a's of 3 rows and b's of 1 row in
    // turn, so that batches mix the two keys; b's tiny request with a 200 ms timeout expires
    // before it starts; a cancels one of its own while it is queued.
    const sims: { key: 'a' | 'b'; id: string }[] = [];
    let expiring: { id: string; created_at: string };
    worker.child.kill('SIGSTOP');
    try {
      for (let i = 0; i < 3; i++) {
        for (const [key, rows] of [
          ['a', 3],
          ['b', 1],
        ] as const) {
          const r = await predict('simmy', simBody(rows, 10 * i + rows), keys[key].secret, false);
          expect(r.status, JSON.stringify(r.body)).toBe(202);
          sims.push({ key, id: r.body.id });
        }
      }
      const exp = await predict('tiny', { ...tinyBody, timeout_ms: 200 }, b.secret, false);
      expect(exp.status, JSON.stringify(exp.body)).toBe(202);
      expiring = exp.body;
      const canceling = await predict('tiny', tinyBody, a.secret, false);
      expect(canceling.status).toBe(202);
      const cancel = () => postJson(`${gateway.url}/v1/predictions/${canceling.body.id}/cancel`, {}, bearer(a.secret));
      expect((await cancel()).body.status).toBe('canceled');
      // Canceling again changes nothing, and counts nothing.
      expect((await cancel()).body.status).toBe('canceled');
      const deadline = Date.parse(expiring.created_at) + 200;
      await waitFor(() => Date.now() > deadline + 50, { what: "b's deadline passed" });
    } finally {
      worker.child.kill('SIGCONT');
    }
    const get = (secret: string, id: string) => getJson(`${gateway.url}/v1/predictions/${id}`, bearer(secret));
    await waitFor(async () => (await get(b.secret, expiring.id)).body.status === 'expired', {
      what: "b's tiny request expired",
      timeoutMs: 30_000,
    });
    const done = await waitFor(
      async () => {
        const rs = await Promise.all(sims.map((p) => get(keys[p.key].secret, p.id)));
        return rs.every((r) => r.body.status === 'succeeded') ? rs : undefined;
      },
      { what: 'the simmy requests done', timeoutMs: 30_000 },
    );
    // Some batch held requests of both keys: one of b's 1-row requests ran among more than 3 rows.
    const sharedRows = done.flatMap((r, i) => (sims[i]!.key === 'b' ? [r.body.metrics.batch_size as number] : []));
    expect(Math.max(...sharedRows), JSON.stringify(sharedRows)).toBeGreaterThan(3);

    const want = { a: { tiny: 7, simmy: 3 }, b: { tiny: 3, simmy: 3 } };
    // Workers add to the totals just after storing the outcomes: wait for the last ones.
    let last: unknown;
    const usage = await waitFor(
      async () => {
        const u = { a: await usageOf(a.id), b: await usageOf(b.id) };
        last = u;
        return same(u.a.predictions, want.a) && same(u.b.predictions, want.b) ? u : undefined;
      },
      { what: 'usage totals of both keys', timeoutMs: 30_000 },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last seen ${JSON.stringify(last)}`);
    });
    expect(usage.a.predictions).toEqual(want.a);
    expect(usage.b.predictions).toEqual(want.b);
    // simmy: a batch costs 10 ms per row, split by rows: a 9 rows, b 3 rows, however batched.
    expect(usage.a.compute_seconds.simmy).toBeCloseTo(0.09, 9);
    expect(usage.b.compute_seconds.simmy).toBeCloseTo(0.03, 9);
    // tiny: onnxruntime's time, some for every request that ran; the expired and the
    // canceled one never ran.
    expect(usage.a.compute_seconds.tiny).toBeGreaterThan(0);
    expect(usage.b.compute_seconds.tiny).toBeGreaterThan(0);
    console.log(
      `compute seconds: a ${JSON.stringify(usage.a.compute_seconds)}, b ${JSON.stringify(usage.b.compute_seconds)}`,
    );

    const w = await (await fetch(workerMetrics)).text();
    const g = await (await fetch(`${gateway.url}/metrics`)).text();
    const count = (text: string, key: string, model: string, status: string) =>
      metric(text, 'alto_key_predictions_total', { key, model, status });
    expect(count(w, a.id, 'tiny', 'succeeded')).toBe(6);
    expect(count(w, b.id, 'tiny', 'succeeded')).toBe(2);
    expect(count(w, b.id, 'tiny', 'expired')).toBe(1);
    expect(count(g, a.id, 'tiny', 'canceled')).toBe(1);
    expect(count(w, a.id, 'simmy', 'succeeded')).toBe(3);
    expect(count(w, b.id, 'simmy', 'succeeded')).toBe(3);
    expect(count(w, 'bootstrap', 'tiny', 'succeeded')).toBe(1);
    const seconds = (key: string, model: string) => metric(w, 'alto_key_compute_seconds_total', { key, model });
    expect(seconds(a.id, 'simmy')).toBeCloseTo(0.09, 9);
    expect(seconds(b.id, 'simmy')).toBeCloseTo(0.03, 9);
    expect(seconds(a.id, 'tiny')).toBeCloseTo(usage.a.compute_seconds.tiny!, 9);
    expect(seconds('bootstrap', 'tiny')).toBeGreaterThan(0);
    // Label values are key ids and the fixed words only: never a secret, nor a name.
    const labelled = samples(w, 'alto_key_predictions_total').map((s) => s.labels.key);
    expect(new Set(labelled)).toEqual(new Set([a.id, b.id, 'bootstrap']));

    // One key's view, and the CLI's.
    const one = await adminRequest(gateway.url, 'GET', `/keys/${a.id}`);
    expect(one.status).toBe(200);
    expect(one.body.usage.predictions).toEqual(want.a);
    expect((await adminRequest(gateway.url, 'GET', '/keys/000000000000')).status).toBe(404);
    const env = { ALTO_URL: gateway.url, ALTO_ADMIN_TOKEN: ADMIN_TOKEN };
    const ls = await alto(['keys', 'ls'], { env });
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(
      /^ID\s+NAME\s+OWNER\s+CREATED\s+LAST USED\s+MODELS\s+LIMITS\s+PREDICTIONS\s+COMPUTE\s+STATE/m,
    );
    expect(ls.stdout).toMatch(new RegExp(`^${a.id}\\s+usage-a\\s+.*\\s10\\s+\\d+\\.\\d+s\\s+active`, 'm'));
    expect(ls.stdout).toMatch(new RegExp(`^${b.id}\\s+usage-b\\s+.*\\s6\\s+\\d+\\.\\d+s\\s+active`, 'm'));
    const per = await alto(['keys', 'usage', b.id], { env });
    expect(per.code, per.stderr).toBe(0);
    expect(per.stdout).toMatch(/^MODEL\s+PREDICTIONS\s+COMPUTE$/m);
    expect(per.stdout).toMatch(/^simmy\s+3\s+0\.030s$/m);
    expect(per.stdout).toMatch(/^tiny\s+3\s+\d+\.\d+s$/m);
    expect(per.stdout).toMatch(/^total\s+6\s+/m);
  }, 120_000);

  it('stores usage under managed key ids only, and no secret anywhere', async () => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    const usageKeys = found.filter((k) => k.endsWith(':usage')).sort();
    expect(usageKeys).toEqual([keys.a.id, keys.b.id].map((id) => `${prefix}:{apikey:${id}}:usage`).sort());
    const dump: string[] = [];
    for (const k of found) {
      const type = await redis.type(k);
      dump.push(k);
      if (type === 'string') dump.push((await redis.get(k)) ?? '');
      else if (type === 'hash') dump.push(...Object.entries(await redis.hgetall(k)).flat());
      else if (type === 'zset') dump.push(...(await redis.zrange(k, 0, -1)));
      else if (type === 'set') dump.push(...(await redis.smembers(k)));
      else if (type === 'stream') dump.push(...(await redis.xrange(k, '-', '+')).flatMap(([id, f]) => [id, ...f]));
    }
    const text = dump.join('\n');
    for (const s of [keys.a.secret, keys.b.secret, BOOTSTRAP]) {
      expect(text).not.toContain(s);
      expect(text).not.toContain(s.split('_').slice(2).join('_') || s);
    }
  });
});

/** Whether two per-model counts are equal, whatever their order. */
function same(got: Record<string, number>, want: Record<string, number>): boolean {
  return JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(want).sort());
}
