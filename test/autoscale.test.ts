// `npm start` with ALTO_WORKERS_MIN=0 / ALTO_WORKERS_MAX=3, end to end through real
// processes: once idle the fleet runs no worker; a burst for a model at zero is queued (not
// refused), workers start on the publisher's scaling signal, the backlog drains and every
// request gets its own right answer; idle again, the fleet is back to zero workers. The time
// from the first request to the first result at zero (the cold start) is logged; the figure
// in docs/autoscaling.md comes from this test.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnProc, type Proc } from '@alto/procs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminRequest } from './support/admin.ts';
import { ADMIN_TOKEN, ROOT, testPrefix } from './support/fleet.ts';
import { getJson, postJson, randomFloats } from './support/http.ts';
import { waitFor } from './support/wait.ts';

const WIDTH = 8;
const BURST = 200;
/** 100 ms a request, one request a batch: 10/s per replica, 20 s for the burst on one. */
const SIM = { width: WIDTH, a_ms: 100, b_ms: 0 };

interface Pool {
  pool: string;
  desired_workers: number;
  current_workers: number;
  backlog: number;
  idle_for_s: number | null;
  models: { model: string; ready_replicas: number; throughput_per_replica: number | null }[];
}

describe('npm start autoscaling its workers (min 0, max 3)', () => {
  const repo = mkdtempSync(join(tmpdir(), 'alto-autoscale-repo-'));
  const cache = mkdtempSync(join(tmpdir(), 'alto-autoscale-cache-'));
  let fleet: Proc;
  let url: string;

  const pool = async (): Promise<Pool> => {
    const r = await adminRequest(url, 'GET', '/scaling/pools/cpu');
    expect(r.status).toBe(200);
    return r.body as Pool;
  };
  const workers = async (): Promise<unknown[]> => (await adminRequest(url, 'GET', '/workers')).body.workers;
  /** The fleet's `scaling workers` log lines: { from, to }. */
  const scalings = () =>
    fleet
      .output()
      .split('\n')
      .filter((l) => l.includes('"scaling workers"'))
      .map((l) => JSON.parse(l) as { from: number; to: number });

  beforeAll(async () => {
    mkdirSync(join(repo, 'burst', '1'), { recursive: true });
    writeFileSync(join(repo, 'burst', '1', 'model.sim'), JSON.stringify(SIM));
    writeFileSync(join(repo, 'burst', 'config.json'), JSON.stringify({ max_batch_size: 1, max_queue_delay_ms: 0 }));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    fleet = spawnProc(process.execPath, ['--import', 'tsx', 'apps/fleet/src/main.ts'], {
      name: 'fleet',
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        REDIS_URL: inject('redisUrl'),
        ALTO_PREFIX: testPrefix('autoscale'),
        PORT: String(port),
        ALTO_ADMIN_PORT: String(await freePort()),
        ALTO_METRICS_PORT: String(await freePort()),
        ALTO_ADMIN_TOKEN: ADMIN_TOKEN,
        ALTO_MODEL_REPOSITORY: repo,
        ALTO_CACHE_DIR: cache,
        ALTO_WORKERS_MIN: '0',
        ALTO_WORKERS_MAX: '3',
        ALTO_SCALE_IDLE_S: '3',
        ALTO_SCALE_TARGET_DRAIN_S: '2',
        ALTO_XLA_RUNTIME: 'off',
        ALTO_INTRA_OP_THREADS: '1',
        ALTO_HEARTBEAT_MS: '500',
        ALTO_LOG_LEVEL: 'info',
      },
    });
    await waitFor(() => fleet.gone() || fleet.output().includes('Alto is ready on'), {
      timeoutMs: 180_000,
      what: 'the fleet to be ready',
    });
    expect(fleet.gone(), fleet.output()).toBe(false);
    // The spec's `replicas` is the most a model is given: let the burst use three.
    expect((await adminRequest(url, 'PATCH', '/models/burst', { replicas: 3 })).status).toBe(200);
  }, 200_000);

  afterAll(async () => {
    await fleet?.stop(60_000);
    rmSync(repo, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }, 70_000);

  const idleAtZero = () =>
    waitFor(
      async () => {
        const p = await pool();
        return p.desired_workers === 0 && p.current_workers === 0 && (await workers()).length === 0 && p;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: 'the fleet to run no worker' },
    );

  it('goes to zero workers when idle, scales out for a burst that all succeeds, and back to zero', async () => {
    const idle = await idleAtZero();
    expect(idle.idle_for_s).toBeGreaterThanOrEqual(3);
    expect(scalings().at(-1)?.to).toBe(0);

    // Watch the pool while the burst runs.
    let peak = { desired: 0, current: 0, throughput: null as number | null };
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const p = await pool().catch(() => undefined);
        if (p) {
          peak = {
            desired: Math.max(peak.desired, p.desired_workers),
            current: Math.max(peak.current, p.current_workers),
            throughput: p.models[0]?.throughput_per_replica ?? peak.throughput,
          };
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    const xs = Array.from({ length: BURST }, (_, i) => Array.from(randomFloats(WIDTH, 1000 + i)));
    const t0 = performance.now();
    let firstResult = Infinity;
    const results = await Promise.all(
      xs.map(async (x) => {
        const r = await postJson(
          `${url}/v1/models/burst/predictions`,
          { input: { x: { datatype: 'FP32', shape: [1, WIDTH], data: x } } },
          { prefer: 'wait=60' },
        );
        // Queued at zero, never refused.
        expect([200, 202], JSON.stringify(r.body)).toContain(r.status);
        let body = r.body;
        if (body.status !== 'succeeded') {
          body = await waitFor(
            async () => {
              const g = await getJson(`${url}/v1/predictions/${body.id}`);
              return ['succeeded', 'failed', 'canceled', 'expired'].includes(g.body.status) && g.body;
            },
            { timeoutMs: 180_000, intervalMs: 250, what: `prediction ${body.id}` },
          );
        }
        firstResult = Math.min(firstResult, performance.now());
        return body;
      }),
    );
    const drainedMs = performance.now() - t0;
    watching = false;
    await watcher;

    results.forEach((body, i) => {
      expect(body.status, JSON.stringify(body.error)).toBe('succeeded');
      const want = xs[i]!.map((v) => Math.fround(Math.fround(v) * 2 + 1));
      body.output.y.data.forEach((v: number, j: number) => expect(v).toBeCloseTo(want[j]!, 5));
    });
    const coldStartMs = firstResult - t0;
    console.log(
      `autoscale: cold start (first request to first result at zero workers) ${(coldStartMs / 1000).toFixed(1)} s; ` +
        `${BURST} requests drained in ${(drainedMs / 1000).toFixed(1)} s; peak desired ${peak.desired}, ` +
        `peak workers ${peak.current}, measured ${peak.throughput ?? '-'}/s per replica`,
    );
    // 200 queued at 10/s per replica, to drain in 2 s: more than the three the model may have.
    expect(peak.desired).toBe(3);
    expect(peak.current).toBeGreaterThanOrEqual(2);
    expect(Math.max(...scalings().map((s) => s.to))).toBeGreaterThanOrEqual(2);

    await idleAtZero();
    expect(scalings().at(-1)?.to).toBe(0);
  }, 400_000);
});
