// Real gateway and worker processes for end-to-end tests, on free ports, with their own
// key prefix on the shared test redis-server.
import { GROUP, connect } from '@alto/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';
import { fileURLToPath } from 'node:url';
import { freePort, spawnProc, waitReady, type Proc } from '@alto/procs';
import { postJson, randomFloats } from './http.ts';
import { asRoleUser } from './redis-users.ts';
import { waitFor } from './wait.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type { Proc };

/** Exited or killed by a signal (a SIGKILLed child has no exit code). */
export const gone = (p: Proc) => p.gone();

/**
 * Waits until `p` is ready and still running; a process that is not is SIGKILLed and the
 * error carries its output.
 */
async function ready<T extends Proc>(p: T, check: RegExp | (() => Promise<boolean>), timeoutMs: number): Promise<T> {
  try {
    await waitReady(p, check, timeoutMs);
    if (p.gone()) throw new Error(`${p.name} exited right after it was ready:\n${p.output()}`);
  } catch (err) {
    await p.kill('SIGKILL');
    throw err;
  }
  return p;
}

const run = (app: string, env: Record<string, string>): Proc =>
  spawnProc(process.execPath, ['--import', 'tsx', `apps/${app}/src/main.ts`], {
    name: app,
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test', ...asRoleUser(app, env) },
  });

/** A worker serving the demo repository, started without waiting for it to be ready. */
export const spawnWorker = (redisUrl: string, prefix: string, extra: Record<string, string> = {}): Proc =>
  run('worker', {
    REDIS_URL: redisUrl,
    ALTO_PREFIX: prefix,
    ALTO_MODEL_REPOSITORY: `${ROOT}models`,
    ALTO_METRICS_PORT: '0',
    ALTO_INTRA_OP_THREADS: '1',
    ALTO_LOG_LEVEL: 'info',
    // The XLA demos in models/ only where a test asks for them (test/xla-*.test.ts).
    ALTO_XLA_RUNTIME: 'off',
    ...extra,
  });

export async function startWorker(redisUrl: string, prefix: string, extra: Record<string, string> = {}): Promise<Proc> {
  const p = spawnWorker(redisUrl, prefix, extra);
  return ready(p, /"worker ready"/, 60_000);
}

export async function startGateway(
  redisUrl: string,
  prefix: string,
  extra: Record<string, string> = {},
): Promise<Proc & { url: string }> {
  const port = await freePort();
  const p = run('gateway', {
    REDIS_URL: redisUrl,
    ALTO_PREFIX: prefix,
    PORT: String(port),
    ALTO_LOG_LEVEL: 'warn',
    ...extra,
  });
  const url = `http://127.0.0.1:${port}`;
  return Object.assign(await ready(p, async () => (await fetch(`${url}/healthz`)).ok, 30_000), { url });
}

export async function startDispatcher(
  redisUrl: string,
  prefix: string,
  extra: Record<string, string> = {},
): Promise<Proc & { healthz: string }> {
  const p = run('dispatcher', {
    REDIS_URL: redisUrl,
    ALTO_PREFIX: prefix,
    ALTO_METRICS_PORT: '0',
    ALTO_LOG_LEVEL: 'info',
    ...extra,
  });
  await ready(p, /"dispatcher ready"/, 30_000);
  const port = /"healthz_port":(\d+)/.exec(p.output())?.[1];
  return Object.assign(p, { healthz: `http://127.0.0.1:${port}/healthz` });
}

let counter = 0;
/** A key prefix no other test file uses. */
export const testPrefix = (name: string) => `t${process.pid}${++counter}${name.replace(/[^a-z0-9]/gi, '')}`;

/** A worker the publisher assigns models to (no repository of its own). */
export async function startManagedWorker(
  redisUrl: string,
  prefix: string,
  id: string,
  extra: Record<string, string> = {},
): Promise<Proc> {
  const p = run('worker', {
    REDIS_URL: redisUrl,
    ALTO_PREFIX: prefix,
    ALTO_WORKER_ID: id,
    ALTO_METRICS_PORT: '0',
    ALTO_INTRA_OP_THREADS: '1',
    ALTO_HEARTBEAT_MS: '300',
    ALTO_LOG_LEVEL: 'info',
    ...extra,
  });
  return ready(p, /"worker ready"/, 60_000);
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** A publisher on a free port, with short timings for tests. */
export async function startPublisher(
  redisUrl: string,
  prefix: string,
  extra: Record<string, string> = {},
): Promise<Proc & { url: string }> {
  // A restarted publisher may keep its port (extra.ALTO_ADMIN_PORT), so a gateway still finds it.
  const port = extra.ALTO_ADMIN_PORT ? Number(extra.ALTO_ADMIN_PORT) : await freePort();
  const p = run('publisher', {
    REDIS_URL: redisUrl,
    ALTO_PREFIX: prefix,
    ALTO_ADMIN_PORT: String(port),
    ALTO_ADMIN_TOKEN: ADMIN_TOKEN,
    ALTO_RECONCILE_MS: '200',
    ALTO_WATCH_INTERVAL_MS: '300',
    ALTO_LEASE_MS: '2000',
    ALTO_WORKER_TIMEOUT_MS: '2000',
    ALTO_LOG_LEVEL: 'info',
    ...extra,
  });
  const url = `http://127.0.0.1:${port}`;
  return Object.assign(await ready(p, async () => (await fetch(`${url}/healthz`)).ok, 30_000), { url });
}

export interface GatewayFleet {
  redisUrl: string;
  prefix: string;
  /** Processes the test starts; all are SIGKILLed after the file. */
  procs: Proc[];
  gateway: Proc & { url: string };
  redis: Redis;
}

/**
 * Call inside describe(): a gateway on a key prefix of its own and a Redis connection,
 * started before the file's tests; afterwards every process in `procs` is SIGKILLed.
 */
export function gatewayFleet(name: string): GatewayFleet {
  const f = { redisUrl: inject('redisUrl'), prefix: testPrefix(name), procs: [] } as unknown as GatewayFleet;
  beforeAll(async () => {
    f.redis = await connect(f.redisUrl, { name: 'test' });
    f.gateway = await startGateway(f.redisUrl, f.prefix);
    f.procs.push(f.gateway);
  });
  afterAll(async () => {
    await Promise.all(f.procs.map((p) => p.kill('SIGKILL')));
    await f.redis?.quit();
  });
  return f;
}

/**
 * Queues `count` textdir requests (random image, seed `seed`) while `worker` is paused, then
 * resumes it: it wakes up to a backlog, as a busy worker would be when it dies. The ids, in order.
 */
export async function queueBacklog(worker: Proc, gatewayUrl: string, count: number, seed: number): Promise<string[]> {
  const x = Array.from(randomFloats(3 * 48 * 192, seed));
  const body = JSON.stringify({ input: { x: { datatype: 'FP32', shape: [1, 3, 48, 192], data: x } } });
  const ids: string[] = [];
  worker.child.kill('SIGSTOP');
  for (let i = 0; i < count; i++)
    ids.push((await postJson(`${gatewayUrl}/v1/models/textdir/predictions`, body)).body.id);
  worker.child.kill('SIGCONT');
  return ids;
}

/**
 * Waits until `consumer` holds entries of `stream` it read but has not settled, while part
 * of the `queued` requests were read: the moment to kill it mid-load.
 */
export async function waitHoldingMidLoad(
  redis: Redis,
  stream: string,
  consumer: string,
  queued: number,
): Promise<void> {
  await waitFor(
    async () => {
      const [pending, , , consumers] = (await redis.xpending(stream, GROUP)) as [number, string, string, [string][]];
      return pending > 0 && (consumers ?? []).some(([n]) => n === consumer) && (await redis.xlen(stream)) < queued;
    },
    { what: `${consumer} to hold entries mid-load` },
  );
}
