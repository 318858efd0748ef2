// `npm run test:chaos:cluster [-- --quick]`: a Redis Cluster master failover under steady
// load. For each case (replica in sync, or lagging: paused, and 32 MB of ballast written to
// the slot so that the replication socket buffers are full, then 1 s of load before the
// master dies — a replica behind by a write backlog) and each ALTO_REDIS_WAIT_REPLICAS
// (0, then 1) it starts a local cluster of 3 masters + 3 replicas, a gateway and two workers
// serving `tiny` (ALTO_REDIS_CLUSTER=true), submits requests at a steady rate, SIGKILLs the
// master holding tiny's slot, lets its replica be promoted, starts the killed node again after
// a few seconds (it rejoins as a replica), stops the load and waits for every accepted request
// to end. Nothing of Alto is restarted. Reports accepted, refused (503 / no answer),
// succeeded, lost (accepted, then gone or never finished), failover time, and the submit
// latency of accepted requests before the fault. Exits non-zero when a run with WAIT loses
// an accepted request, any run fails one, or a refusal is anything but a 503 or no answer.
import { fileURLToPath } from 'node:url';
import { freePort, startRedisCluster, type Proc, type RedisCluster } from '@alto/procs';
import { connect, keys as makeKeys } from '@alto/queue';
import { startApp as app, submit, until } from './support.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const quick = process.argv.includes('--quick');
const RATE = quick ? 60 : 100;
const BEFORE_MS = quick ? 2000 : 4000;
const AFTER_MS = quick ? 6000 : 10_000;
/** The killed node comes back after this long (a supervisor restarting it). */
const RESTART_AFTER_MS = 4000;
const PREFIX = 'chaos';

const log = (msg: string) => process.stderr.write(`chaos: ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const body = JSON.stringify({ input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.5) } } });

interface Run {
  lagging: boolean;
  waitReplicas: number;
  accepted: number;
  refused: number;
  /** Refusals by HTTP status ('none': no answer within 5 s), and error code. */
  refusedBy: Record<string, number>;
  succeeded: number;
  failed: number;
  /** Accepted, and then gone from Redis or never finished. */
  lost: number;
  failoverSeconds: number;
  p50Ms: number;
  p99Ms: number;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function run(lagging: boolean, waitReplicas: number): Promise<Run> {
  const cluster: RedisCluster = await startRedisCluster({ masters: 3, replicas: 1, nodeTimeoutMs: 2000 });
  const procs: Proc[] = [];
  const common = {
    REDIS_URL: cluster.url,
    ALTO_REDIS_CLUSTER: 'true',
    ALTO_PREFIX: PREFIX,
    ALTO_REDIS_WAIT_REPLICAS: String(waitReplicas),
    ALTO_REDIS_WAIT_TIMEOUT_MS: '500',
  };
  try {
    const port = await freePort();
    const workerEnv = (id: string) => ({
      ...common,
      ALTO_MODEL_REPOSITORY: `${ROOT}models`,
      ALTO_MODELS: 'tiny',
      ALTO_WORKER_ID: id,
      ALTO_METRICS_PORT: '0',
      ALTO_INTRA_OP_THREADS: '1',
      ALTO_VISIBILITY_TIMEOUT_MS: '2000',
      ALTO_LOG_LEVEL: 'warn',
    });
    procs.push(
      ...(await Promise.all([
        app('gateway', { ...common, PORT: String(port), ALTO_LOG_LEVEL: 'info' }, /gateway listening/),
        app('worker', { ...workerEnv('w1'), ALTO_LOG_LEVEL: 'info' }, /"worker ready"/),
        app('worker', { ...workerEnv('w2'), ALTO_LOG_LEVEL: 'info' }, /"worker ready"/),
      ])),
    );
    const base = `http://127.0.0.1:${port}`;
    const redis = await connect(cluster.url, { name: 'chaos', cluster: true });
    const keys = makeKeys(PREFIX);
    const slot = Number(await redis.cluster('KEYSLOT', keys.stream('tiny')));

    // Steady load: one request every 1/RATE s, each answered or abandoned after 5 s.
    const accepted: string[] = [];
    /** Submit latencies of accepted requests before the fault: the steady-state cost of WAIT. */
    const latencies: number[] = [];
    let faultAt = Infinity;
    let refused = 0;
    const refusedBy: Record<string, number> = {};
    const refuse = (why: string) => {
      refused++;
      refusedBy[why] = (refusedBy[why] ?? 0) + 1;
    };
    let running = true;
    const load = (async () => {
      const inflight = new Set<Promise<void>>();
      while (running) {
        const t0 = performance.now();
        const p = submit(`${base}/v1/models/tiny/predictions`, body).then(
          async (res) => {
            if (res.status === 202) {
              accepted.push(((await res.json()) as { id: string }).id);
              if (Date.now() < faultAt) latencies.push(performance.now() - t0);
            } else {
              const code = ((await res.json().catch(() => ({}))) as { error?: { code?: string } }).error?.code;
              refuse(`${res.status} ${code ?? ''}`.trim());
            }
          },
          () => refuse('none'),
        );
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
        await sleep(1000 / RATE);
      }
      await Promise.all(inflight);
    })();

    await sleep(BEFORE_MS);
    const victim = cluster.masterOf(slot);
    const replicas = cluster.replicasOf(victim.port);
    const name = `${lagging ? 'lagging' : 'in sync'}, wait=${waitReplicas}`;
    faultAt = Date.now();
    if (lagging) {
      // Writes from now on stay in the master's replication buffer (or, with WAIT, are refused
      // for want of a replica): on loopback the socket buffers hold megabytes, hence the ballast.
      for (const r of replicas) r.proc.child.kill('SIGSTOP');
      const mb = Buffer.alloc(1 << 20, 120);
      for (let i = 0; i < 32; i++) await redis.set(`ballast:{tiny}:${i}`, mb);
      await sleep(1000);
    }
    log(`${name}: SIGKILL the master of tiny's slot ${slot} (port ${victim.port}) under load`);
    await victim.proc.kill('SIGKILL');
    for (const r of replicas) r.proc.child.kill('SIGCONT');
    const promoted = await until('a replica to be promoted', 30_000, async () => {
      const m = cluster.masterOf(slot);
      return m.port !== victim.port ? m : undefined;
    });
    const failoverSeconds = (Date.now() - faultAt) / 1000;
    log(`${name}: ${promoted.port} serves slot ${slot} after ${failoverSeconds} s`);
    await sleep(Math.max(0, faultAt + RESTART_AFTER_MS - Date.now()));
    await victim.restart();
    log(`${name}: ${victim.port} restarted (rejoins as a replica)`);
    await sleep(Math.max(0, faultAt + AFTER_MS - Date.now()));
    running = false;
    await load;

    // Settle: every accepted request must end; one whose record is gone was lost at failover.
    const statuses = async () => {
      const pipe = redis.pipeline();
      for (const id of accepted) pipe.hget(keys.prediction('tiny', id), 'status');
      return ((await pipe.exec()) ?? []).map(([, v]) => v as string | null);
    };
    let rows = await statuses();
    const deadline = Date.now() + 60_000;
    while (rows.some((s) => s !== 'succeeded' && s !== 'failed' && s !== null) && Date.now() < deadline) {
      await sleep(250);
      rows = await statuses();
    }
    redis.disconnect();
    const done = rows.filter((s) => s === 'succeeded' || s === 'failed').length;
    return {
      lagging,
      waitReplicas,
      accepted: accepted.length,
      refused,
      refusedBy,
      succeeded: rows.filter((s) => s === 'succeeded').length,
      failed: rows.filter((s) => s === 'failed').length,
      lost: accepted.length - done,
      failoverSeconds,
      p50Ms: Math.round(quantile(latencies, 0.5) * 10) / 10,
      p99Ms: Math.round(quantile(latencies, 0.99) * 10) / 10,
    };
  } finally {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await cluster.stop();
  }
}

const runs: Run[] = [];
for (const lagging of [false, true]) {
  for (const wait of [0, 1]) {
    const r = await run(lagging, wait);
    log(JSON.stringify(r));
    runs.push(r);
  }
}
console.log(
  '\n| replica | ALTO_REDIS_WAIT_REPLICAS | accepted | refused (503 / no answer) | succeeded | failed | lost | failover (s) | ' +
    'accepted before the fault: p50 / p99 (ms) |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of runs) {
  console.log(
    `| ${r.lagging ? 'lagging 1 s' : 'in sync'} | ${r.waitReplicas} | ${r.accepted} | ${r.refused} | ${r.succeeded} | ${r.failed} | ` +
      `${r.lost} | ${r.failoverSeconds} | ${r.p50Ms} / ${r.p99Ms} |`,
  );
}
// A failover is an outage of the slot: 503 (retry) or no answer, never another error.
const otherwise = (r: Run) => Object.keys(r.refusedBy).some((why) => why !== 'none' && !why.startsWith('503 '));
const bad = runs.filter((r) => r.failed > 0 || r.accepted === 0 || otherwise(r) || (r.waitReplicas > 0 && r.lost > 0));
if (bad.length > 0) {
  console.log(`\nFAILED: ${bad.map((r) => `${r.lagging ? 'lagging' : 'in sync'}, wait=${r.waitReplicas}`).join('; ')}`);
  process.exitCode = 1;
}
