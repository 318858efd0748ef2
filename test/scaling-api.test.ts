// The publisher's autoscaling signal through real processes: GET /v1/admin/scaling and
// /v1/admin/scaling/pools/{pool} and the alto_pool_* gauges. A model never served wants one
// worker of its pool (tags included in the pool's name); a served model without work falls to
// zero after ALTO_SCALE_IDLE_S; requests for it once no replica is left, pinned to a version
// or not, are queued (202, not 503 or 404) and raise its pool to one at once.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { postJson } from './support/http.ts';
import { waitFor } from './support/wait.ts';

interface Pool {
  pool: string;
  desired_workers: number;
  current_workers: number;
  backlog: number;
  arrival_rate: number;
  idle_for_s: number | null;
  models: { model: string; backlog: number; ready_replicas: number }[];
}

describe('the autoscaling signal of the admin API', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('scalingapi');
  const repo = mkdtempSync(join(tmpdir(), 'alto-scaling-api-'));
  let publisher: Proc & { url: string };
  let gateway: Proc & { url: string };
  let worker: Proc | undefined;

  const scaling = async () => {
    const r = await adminRequest(publisher.url, 'GET', '/scaling');
    expect(r.status).toBe(200);
    return r.body as { target_drain_s: number; idle_s: number; pools: Pool[] };
  };
  const pool = async (name: string) => {
    const r = await adminRequest(publisher.url, 'GET', `/scaling/pools/${name}`);
    return r.status === 200 ? (r.body as Pool) : undefined;
  };
  const gauge = async (name: string, pool: string) => {
    const text = await (await fetch(`${publisher.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`pool="${pool}"`));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };

  beforeAll(async () => {
    mkdirSync(join(repo, 'tiny', '1'), { recursive: true });
    cpSync(join(ROOT, 'models/tiny/1/model.onnx'), join(repo, 'tiny', '1', 'model.onnx'));
    publisher = await startPublisher(redisUrl, prefix, {
      ALTO_ALLOWED_ROOTS: repo,
      ALTO_SCALE_IDLE_S: '2',
      ALTO_SCALE_TARGET_DRAIN_S: '15',
    });
    gateway = await startGateway(redisUrl, prefix, { ALTO_PUBLISHER_URL: publisher.url });
  });
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill(), publisher?.kill()]);
    rmSync(repo, { recursive: true, force: true });
  });

  it('needs the admin token, and answers an unknown pool 404 in the error format naming the pools', async () => {
    expect((await adminRequest(publisher.url, 'GET', '/scaling', undefined, null)).status).toBe(401);
    const r = await adminRequest(publisher.url, 'GET', '/scaling/pools/nope');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
    expect(r.body.error.message).toContain("pool 'nope'");
  });

  it('wants one worker for each pool whose model was never served, its tags in the pool name', async () => {
    const uri = join(repo, 'tiny');
    expect((await adminRequest(publisher.url, 'POST', '/models', { name: 'tiny', uri })).status).toBe(201);
    const gpu = { name: 'big', uri, constraints: { accelerator: 'gpu', team: 'ML' } };
    expect((await adminRequest(publisher.url, 'POST', '/models', gpu)).status).toBe(201);
    const report = await waitFor(
      async () => {
        const r = await scaling();
        return r.pools.length === 2 && r.pools.every((p) => p.desired_workers === 1) && r;
      },
      { what: 'both pools to want a worker' },
    );
    expect(report).toMatchObject({ target_drain_s: 15, idle_s: 2 });
    expect(report.pools.map((p) => p.pool)).toEqual(['cpu', 'gpu-team-ml']);
    expect(report.pools[0]).toMatchObject({ current_workers: 0, backlog: 0, idle_for_s: null });
    expect(report.pools[0]!.models.map((m) => m.model)).toEqual(['tiny']);
    await waitFor(async () => (await gauge('alto_pool_desired_workers', 'gpu-team-ml')) === 1, {
      what: 'the gauge of the gpu pool',
    });
    const cli = await alto(['scaling'], { env: { ALTO_URL: gateway.url, ALTO_ADMIN_TOKEN: ADMIN_TOKEN } });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^POOL +DESIRED +CURRENT/);
    expect(cli.stdout).toMatch(/\ncpu +1 +0 +0 +0\/s +- +busy +tiny \(0 queued, 0 ready\)\n/);
    expect(cli.stdout).toMatch(/\ngpu-team-ml +1 +0 /);
    expect(cli.stdout).toContain('target drain 15s, idle to zero after 2s\n');
  });

  it('falls to zero once the model has loaded and the pool has been idle', async () => {
    worker = await startManagedWorker(redisUrl, prefix, 'scaling-w1');
    const loaded = await waitFor(
      async () => {
        const p = await pool('cpu');
        return p?.current_workers === 1 && p.models[0]?.ready_replicas === 1 && p;
      },
      { timeoutMs: 60_000, what: 'tiny ready on the worker' },
    );
    expect(loaded.desired_workers).toBeLessThanOrEqual(1);
    const idle = await waitFor(async () => ((await pool('cpu'))?.desired_workers === 0 ? pool('cpu') : undefined), {
      timeoutMs: 30_000,
      what: 'the idle pool to want zero workers',
    });
    expect(idle!.idle_for_s).toBeGreaterThanOrEqual(2);
    expect(idle!.current_workers).toBe(1);
    expect(await gauge('alto_pool_workers', 'cpu')).toBe(1);
  });

  it('queues a request at zero replicas (202, not 503) and raises the pool to one at once', async () => {
    await worker!.kill('SIGTERM');
    worker = undefined;
    await waitFor(async () => (await pool('cpu'))?.current_workers === 0, { what: 'the worker to be gone' });
    // The leader has seen it go: no replica placed, none ready.
    await waitFor(
      async () => {
        const m = (await adminRequest(publisher.url, 'GET', '/models/tiny')).body;
        return m.status.state === 'unplaceable' && m.status.ready_replicas === 0;
      },
      { what: 'tiny to have no replica' },
    );
    const x = Array.from({ length: 64 }, () => 0.5);
    const r = await postJson(`${gateway.url}/v1/models/tiny/predictions`, {
      input: { x: { datatype: 'FP32', shape: [1, 64], data: x } },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body.status).toBe('queued');
    // A request pinning the version it last served queues too.
    const pinned = await postJson(`${gateway.url}/v1/models/tiny/versions/1/predictions`, {
      input: { x: { datatype: 'FP32', shape: [1, 64], data: x } },
    });
    expect(pinned.status, JSON.stringify(pinned.body)).toBe(202);
    // The admin reply samples afresh: no wait for the next interval.
    const p = (await pool('cpu'))!;
    expect(p).toMatchObject({ desired_workers: 1, current_workers: 0, backlog: 2, idle_for_s: null });
    expect(p.arrival_rate).toBeGreaterThan(0);
    expect(p.models[0]).toMatchObject({ model: 'tiny', backlog: 2, ready_replicas: 0 });
    await waitFor(async () => (await gauge('alto_pool_backlog', 'cpu')) === 2, { what: 'the backlog gauge' });
  });
});
