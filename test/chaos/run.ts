// `npm run test:chaos [-- --quick] [-- scenario ...]`: fault injection into real processes
// under steady load. Each scenario starts a fresh fleet (redis-server with AOF
// `appendfsync always`, one gateway, two workers serving textdir), submits requests at a
// steady rate, injects one fault, stops the load, waits for every accepted request to end,
// and reports: accepted, succeeded, failed, lost (accepted but never finished — must be 0),
// executed twice (started more than once), and time to recover (fault to the first request
// accepted and finished after it). Exits non-zero if anything was lost or failed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ROOT } from '../support/fleet.ts';
import { freePort } from '../support/redis-server.ts';

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
}

const log = (msg: string) => process.stderr.write(`chaos: ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  return waitOutput(child, /Ready to accept connections/, 'redis-server');
}

function waitOutput(child: ChildProcess, ready: RegExp, name: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    let out = '';
    const on = (b: Buffer) => {
      out += b.toString();
      if (ready.test(out)) resolve(child);
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready:\n${out.slice(-2000)}`)));
  });
}

function app(name: string, env: Record<string, string>, ready: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', `apps/${name}/src/main.ts`], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return waitOutput(child, ready, name);
}

const workerEnv = (f: { redisPort: number; prefix: string }, id: string) => ({
  REDIS_URL: `redis://127.0.0.1:${f.redisPort}`, ALTO_PREFIX: f.prefix, ALTO_MODEL_REPOSITORY: join(ROOT, 'models'),
  ALTO_MODELS: 'textdir', ALTO_WORKER_ID: id, ALTO_METRICS_PORT: '0', ALTO_INTRA_OP_THREADS: '1',
  ALTO_VISIBILITY_TIMEOUT_MS: '2000', ALTO_LOG_LEVEL: 'warn',
});

const startWorker = (f: Fleet, id: string) => app('worker', { ...workerEnv(f, id), ALTO_LOG_LEVEL: 'info' }, /"worker ready"/);
const startGateway = (f: Fleet) => app('gateway', {
  REDIS_URL: `redis://127.0.0.1:${f.redisPort}`, ALTO_PREFIX: f.prefix, PORT: String(f.gatewayPort), ALTO_LOG_LEVEL: 'info',
}, /gateway listening/);

async function startFleet(): Promise<Fleet> {
  const f = {
    redisPort: await freePort(), redisDir: mkdtempSync(join(tmpdir(), 'alto-chaos-')), prefix: 'chaos',
    gatewayPort: await freePort(), workers: [],
  } as unknown as Fleet;
  f.redis = await startRedis(f.redisPort, f.redisDir);
  f.workers = [await startWorker(f, 'w1'), await startWorker(f, 'w2')];
  f.gateway = await startGateway(f);
  return f;
}

const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())));
async function kill(c: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (c.exitCode === null && c.signalCode === null) c.kill(signal);
  await exited(c);
}

async function stopFleet(f: Fleet): Promise<void> {
  for (const c of [f.gateway, ...f.workers]) c.kill('SIGCONT');
  f.redis.kill('SIGCONT');
  await Promise.all([f.gateway, ...f.workers].map((c) => kill(c)));
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
      const p = fetch(`http://127.0.0.1:${f.gatewayPort}/v1/models/textdir/predictions`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000),
      }).then(async (res) => {
        if (res.status === 202) accepted.push({ id: ((await res.json()) as { id: string }).id, at: Date.now() });
        else {
          refused++;
          await res.body?.cancel();
        }
      }, () => {
        refused++;
      });
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
}

async function settle(f: Fleet, accepted: Submitted[], faultAt: number, timeoutMs: number): Promise<Omit<Report, 'scenario' | 'refused'>> {
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

type Fault = (f: Fleet) => Promise<void>;

const outage = (seconds: number): Fault => async (f) => {
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
    await fault(f);
    await sleep(after);
    await load.stop();
    const result = await settle(f, load.accepted, faultAt, 90_000);
    const report = { scenario, refused: load.refused(), ...result };
    reports.push(report);
    log(`${scenario}: ${JSON.stringify(report)}`);
  } finally {
    await stopFleet(f);
  }
}

console.log('\n| scenario | accepted | refused (503 / no connection) | succeeded | failed | lost | executed twice | recovered after (s) |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of reports) {
  console.log(`| ${r.scenario} | ${r.accepted} | ${r.refused} | ${r.succeeded} | ${r.failed} | ${r.lost} | ${r.executedTwice} | ${r.recoverSeconds ?? '—'} |`);
}
const bad = reports.filter((r) => r.lost > 0 || r.failed > 0 || r.accepted === 0);
if (bad.length > 0) {
  console.log(`\nFAILED: ${bad.map((r) => r.scenario).join(', ')} lost or failed accepted requests`);
  process.exitCode = 1;
} else {
  console.log(`\n${reports.length} passed, 0 failed`);
}
