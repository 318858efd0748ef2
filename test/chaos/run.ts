// `npm run test:chaos [-- --quick] [-- scenario ...]`: fault injection into real processes
// under steady load. Each scenario starts a fresh fleet (redis-server with AOF
// `appendfsync always`, a leader publisher and a standby, one gateway, two managed workers
// serving textdir with two replicas), submits requests at a
// steady rate, injects one fault, stops the load, waits for every accepted request to end,
// and reports: accepted, succeeded, failed, lost (accepted but never finished — must be 0),
// executed twice (started more than once), and time to recover (fault to the first request
// accepted and finished after it). Exits non-zero if anything was lost or failed.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startRedis as startRedisServer } from '@alto/procs';
import { Redis } from 'ioredis';
import { startApp, submit, until } from './support.ts';
import { batchCrash } from './batch-crash.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const quick = process.argv.includes('--quick');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));

interface Fleet {
  redisPort: number;
  redisDir: string;
  prefix: string;
  redis: ChildProcess;
  gateway: ChildProcess;
  gatewayPort: number;
  workers: ChildProcess[];
  publishers: { child: ChildProcess; port: number; id: string }[];
  cacheDir: string;
}

const ADMIN_TOKEN = 'chaos-admin-token-0123456789';
/** A request whose input begins with this value kills the worker that runs it (the workers' failpoint). */
const CRASH_MARKER = -7777;

const log = (msg: string) => process.stderr.write(`chaos: ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** AOF fsynced on every write: what was accepted survives a SIGKILLed Redis. */
const startRedis = async (port: number, dir: string): Promise<ChildProcess> =>
  (await startRedisServer({ port, dir, appendfsync: 'always', args: ['--maxmemory-policy', 'noeviction'] })).child;

const app = async (name: string, env: Record<string, string>, ready: RegExp): Promise<ChildProcess> =>
  (await startApp(name, env, ready)).child;

const workerEnv = (f: { redisPort: number; prefix: string; cacheDir: string }, id: string) => ({
  REDIS_URL: `redis://127.0.0.1:${f.redisPort}`,
  ALTO_PREFIX: f.prefix,
  ALTO_CACHE_DIR: f.cacheDir,
  ALTO_WORKER_ID: id,
  ALTO_METRICS_PORT: '0',
  ALTO_INTRA_OP_THREADS: '1',
  ALTO_HEARTBEAT_MS: '500',
  ALTO_VISIBILITY_TIMEOUT_MS: '2000',
  ALTO_LOG_LEVEL: 'warn',
  ALTO_FAILPOINT_CRASH_ON: String(CRASH_MARKER),
});

const startPublisher = (f: Fleet, id: string, port: number) =>
  app(
    'publisher',
    {
      REDIS_URL: `redis://127.0.0.1:${f.redisPort}`,
      ALTO_PREFIX: f.prefix,
      ALTO_PUBLISHER_ID: id,
      ALTO_ADMIN_PORT: String(port),
      ALTO_ADMIN_TOKEN: ADMIN_TOKEN,
      ALTO_ALLOWED_ROOTS: join(ROOT, 'models'),
      ALTO_LEASE_MS: '3000',
      ALTO_RECONCILE_MS: '500',
      ALTO_WORKER_TIMEOUT_MS: '3000',
      ALTO_LOG_LEVEL: 'info',
    },
    /publisher listening/,
  ).then((child) => ({ child, port, id }));

const leaderOf = async (f: Fleet) => {
  for (const p of f.publishers) {
    const health = await fetch(`http://127.0.0.1:${p.port}/healthz`).then(
      (r) => r.json() as Promise<{ leader: boolean }>,
      () => undefined,
    );
    if (health?.leader) return p;
  }
  return undefined;
};

const startWorker = (f: Fleet, id: string) =>
  app('worker', { ...workerEnv(f, id), ALTO_LOG_LEVEL: 'info' }, /"worker ready"/);
const startGateway = (f: Fleet) =>
  app(
    'gateway',
    {
      REDIS_URL: `redis://127.0.0.1:${f.redisPort}`,
      ALTO_PREFIX: f.prefix,
      PORT: String(f.gatewayPort),
      ALTO_LOG_LEVEL: 'info',
      ALTO_PUBLISHER_URL: `http://127.0.0.1:${f.publishers[0]!.port}`,
      ALTO_PAYLOAD_ROOTS: join(f.redisDir, 'payloads'),
    },
    /gateway listening/,
  );

async function startFleet(): Promise<Fleet> {
  const f = {
    redisPort: await freePort(),
    redisDir: mkdtempSync(join(tmpdir(), 'alto-chaos-')),
    prefix: 'chaos',
    gatewayPort: await freePort(),
    workers: [],
    publishers: [],
  } as unknown as Fleet;
  f.cacheDir = join(f.redisDir, 'cache');
  f.redis = await startRedis(f.redisPort, f.redisDir);
  f.publishers = [await startPublisher(f, 'p1', await freePort())];
  await until('a leader', 10_000, () => leaderOf(f));
  f.publishers.push(await startPublisher(f, 'p2', await freePort()));
  f.workers = [await startWorker(f, 'w1'), await startWorker(f, 'w2')];
  f.gateway = await startGateway(f);
  const res = await fetch(`http://127.0.0.1:${f.publishers[0]!.port}/v1/admin/models`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'textdir', uri: join(ROOT, 'models/textdir'), replicas: 2 }),
  });
  if (res.status !== 201) throw new Error(`publishing textdir: ${res.status} ${await res.text()}`);
  await until('2 ready textdir replicas', 60_000, async () => {
    const r = await fetch(`http://127.0.0.1:${f.gatewayPort}/v1/models/textdir`);
    return r.ok && ((await r.json()) as { ready_replicas: number }).ready_replicas === 2 ? true : undefined;
  });
  return f;
}

const exited = (c: ChildProcess) =>
  c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => c.once('exit', () => r()));
async function kill(c: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (c.exitCode === null && c.signalCode === null) c.kill(signal);
  await exited(c);
}

async function stopFleet(f: Fleet): Promise<void> {
  const all = [f.gateway, ...f.workers, ...f.publishers.map((p) => p.child)];
  for (const c of all) c.kill('SIGCONT');
  f.redis.kill('SIGCONT');
  await Promise.all(all.map((c) => kill(c)));
  await kill(f.redis, 'SIGTERM');
  rmSync(f.redisDir, { recursive: true, force: true });
}

interface Submitted {
  id: string;
  at: number;
}

/** Submits at `rate` per second until stopped; keeps the ids of the accepted (202) ones. */
function steadyLoad(f: Fleet, rate: number) {
  const body = readFileSync(join(ROOT, 'examples/textdir.json'));
  const accepted: Submitted[] = [];
  let refused = 0;
  let running = true;
  const loop = (async () => {
    const inflight = new Set<Promise<void>>();
    for (let i = 0; running; i++) {
      const p = submit(`http://127.0.0.1:${f.gatewayPort}/v1/models/textdir/predictions`, body).then(
        async (res) => {
          if (res.status === 202) accepted.push({ id: ((await res.json()) as { id: string }).id, at: Date.now() });
          else {
            refused++;
            await res.body?.cancel();
          }
        },
        () => {
          refused++;
        },
      );
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      await sleep(1000 / rate);
    }
    await Promise.all(inflight);
  })();
  return {
    accepted,
    refused: () => refused,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

interface Report {
  scenario: string;
  accepted: number;
  refused: number;
  succeeded: number;
  failed: number;
  lost: number;
  executedTwice: number;
  recoverSeconds: number | null;
  /** What the scenario checked beyond the load, e.g. the poison request's end. */
  note?: string;
}

async function settle(
  f: Fleet,
  accepted: Submitted[],
  faultAt: number,
  timeoutMs: number,
): Promise<Omit<Report, 'scenario' | 'refused'>> {
  const redis = new Redis(`redis://127.0.0.1:${f.redisPort}`, { maxRetriesPerRequest: null });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pipe = redis.pipeline();
      for (const s of accepted) pipe.hmget(`${f.prefix}:{textdir}:p:${s.id}`, 'status', 'attempts', 'completed_at');
      const rows = ((await pipe.exec()) ?? []).map(([, v]) => v as (string | null)[]);
      const done = rows.filter((r) => r[0] === 'succeeded' || r[0] === 'failed');
      if (done.length === accepted.length || Date.now() > deadline) {
        const recovered = accepted
          .map((s, i) => ({ s, r: rows[i]! }))
          .filter(({ s, r }) => s.at > faultAt && r[0] === 'succeeded')
          .map(({ r }) => Number(r[2]))
          .sort((a, b) => a - b)[0];
        return {
          accepted: accepted.length,
          succeeded: rows.filter((r) => r[0] === 'succeeded').length,
          failed: rows.filter((r) => r[0] === 'failed').length,
          lost: accepted.length - done.length,
          executedTwice: rows.filter((r) => Number(r[1] ?? 0) > 1).length,
          recoverSeconds: recovered === undefined ? null : Math.round((recovered - faultAt) / 100) / 10,
        };
      }
      await sleep(250);
    }
  } finally {
    redis.disconnect();
  }
}

/** A fault; what it returns is reported as the scenario's note. */
type Fault = (f: Fleet) => Promise<string | void>;

const gone = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

/**
 * Submits one request that kills whichever worker runs it, restarts dead workers under
 * their own ids (as a process supervisor would) until that request has ended, and checks it
 * was dead-lettered as poison.
 */
async function poisonCrash(f: Fleet): Promise<string> {
  const body = JSON.parse(readFileSync(join(ROOT, 'examples/textdir.json'), 'utf8')) as {
    input: { x: { b64: string } };
  };
  const x = Buffer.from(body.input.x.b64, 'base64');
  x.writeFloatLE(CRASH_MARKER, 0);
  body.input.x.b64 = x.toString('base64');
  const res = await fetch(`http://127.0.0.1:${f.gatewayPort}/v1/models/textdir/predictions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`submitting the poison request: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  let crashes = 0;
  const restarting = new Set<number>();
  const end = await until('the poison request to end', 90_000, async () => {
    f.workers.forEach((w, i) => {
      if (!gone(w) || restarting.has(i)) return;
      crashes++;
      restarting.add(i);
      void startWorker(f, `w${i + 1}`)
        .then(
          (next) => void (f.workers[i] = next),
          // Killed again before it was ready: a placeholder that counts as gone.
          () => void (f.workers[i] = w),
        )
        .finally(() => restarting.delete(i));
    });
    const got = await fetch(`http://127.0.0.1:${f.gatewayPort}/v1/predictions/${id}`).then(
      (r) => r.json() as Promise<{ status: string; error?: { code: string } }>,
    );
    return got.status === 'succeeded' || got.status === 'failed' ? got : undefined;
  });
  await until('the workers to be back', 60_000, async () =>
    restarting.size === 0 && f.workers.every((w) => !gone(w)) ? true : undefined,
  );
  if (end.error?.code !== 'poison')
    throw new Error(`the poison request ended ${end.status} ${JSON.stringify(end.error)}, not as poison`);
  return `poison request dead-lettered after ${crashes} worker crashes`;
}

const outage =
  (seconds: number): Fault =>
  async (f) => {
    await kill(f.redis);
    await sleep(seconds * 1000);
    f.redis = await startRedis(f.redisPort, f.redisDir);
  };

const SCENARIOS: Record<string, Fault> = {
  'worker-sigkill': async (f) => {
    await kill(f.workers[0]!);
  },
  'gateway-sigkill': async (f) => {
    await kill(f.gateway);
    await sleep(1000);
    f.gateway = await startGateway(f);
  },
  'redis-restart': outage(0),
  'redis-down-5s': outage(5),
  'redis-down-20s': outage(20),
  ...(quick ? {} : { 'redis-down-60s': outage(60) }),
  'publisher-leader-sigkill': async (f) => {
    const leader = await leaderOf(f);
    if (!leader) throw new Error('no leader publisher');
    await kill(leader.child);
    const next = await until('the standby to lead', 10_000, async () => {
      const l = await leaderOf(f);
      return l && l !== leader ? l : undefined;
    });
    log(`publisher ${next.id} leads after ${leader.id} was killed`);
    // The dead one comes back as a standby.
    f.publishers[f.publishers.indexOf(leader)] = await startPublisher(f, leader.id, leader.port);
  },
  'poison-crash': poisonCrash,
  'gateway-sigkill-mid-batch': (f) =>
    batchCrash(
      {
        gatewayUrl: () => `http://127.0.0.1:${f.gatewayPort}`,
        publisherUrl: `http://127.0.0.1:${f.publishers[0]!.port}`,
        adminToken: ADMIN_TOKEN,
        payloadDir: join(f.redisDir, 'payloads'),
        restartGateway: async () => {
          await kill(f.gateway);
          f.gateway = await startGateway(f);
        },
        log,
      },
      quick ? 3000 : 10_000,
    ),
  'worker-sigstop': async (f) => {
    f.workers[0]!.kill('SIGSTOP');
    await sleep(5000); // past the 2 s visibility timeout: the other worker takes over
    f.workers[0]!.kill('SIGCONT');
  },
};

const reports: Report[] = [];
const rate = quick ? 40 : 60;
const before = quick ? 2000 : 5000;
const after = quick ? 3000 : 10_000;
for (const [scenario, fault] of Object.entries(SCENARIOS)) {
  if (only.length > 0 && !only.includes(scenario)) continue;
  log(`${scenario}: starting a fleet`);
  const f = await startFleet();
  try {
    const load = steadyLoad(f, rate);
    await sleep(before);
    const faultAt = Date.now();
    log(`${scenario}: injecting the fault under load`);
    const note = await fault(f);
    await sleep(after);
    await load.stop();
    const result = await settle(f, load.accepted, faultAt, 90_000);
    const report: Report = { scenario, refused: load.refused(), ...result, ...(note ? { note } : {}) };
    reports.push(report);
    log(`${scenario}: ${JSON.stringify(report)}`);
  } finally {
    await stopFleet(f);
  }
}

console.log(
  '\n| scenario | accepted | refused (503 / no connection) | succeeded | failed | lost | executed twice | recovered after (s) |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of reports) {
  const cells = [
    r.scenario,
    r.accepted,
    r.refused,
    r.succeeded,
    r.failed,
    r.lost,
    r.executedTwice,
    r.recoverSeconds ?? '—',
  ];
  console.log(`| ${cells.join(' | ')} |`);
}
for (const r of reports.filter((r) => r.note)) console.log(`\n${r.scenario}: ${r.note}`);
const bad = reports.filter((r) => r.lost > 0 || r.failed > 0 || r.accepted === 0);
if (bad.length > 0) {
  console.log(`\nFAILED: ${bad.map((r) => r.scenario).join(', ')} lost or failed accepted requests`);
  process.exitCode = 1;
} else {
  console.log(`\n${reports.length} passed, 0 failed`);
}
