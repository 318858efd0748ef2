// Processes under measurement: start them, wait until they are ready, read their CPU time
// and memory from /proc, stop them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startProc, type Proc } from '@alto/procs';

export { freePort, type Proc } from '@alto/procs';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TICKS = 100; // USER_HZ on Linux

/** Starts `cmd` with only PATH, HOME and `env`, and waits for a line matching `ready`. */
export const start = (
  name: string,
  cmd: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<Proc> =>
  startProc(cmd, args, {
    name,
    cwd: ROOT,
    ready,
    timeoutMs: 120_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production', ...env },
  });

export const node = (name: string, script: string, env: Record<string, string>, ready: RegExp) =>
  start(name, process.execPath, ['--import', 'tsx', script], env, ready);

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** Runs `work` and returns each process's CPU use during it, in cores. */
export async function withCpu<T>(
  procs: Proc[],
  work: () => Promise<T>,
): Promise<{ result: T; cpu: Record<string, number> }> {
  const before = procs.map((p) => cpuSeconds(p.child.pid!));
  const t0 = performance.now();
  const result = await work();
  const wall = (performance.now() - t0) / 1000;
  const cpu: Record<string, number> = {};
  procs.forEach((p, i) => (cpu[p.name] = Math.round(((cpuSeconds(p.child.pid!) - before[i]!) / wall) * 100) / 100));
  return { result, cpu };
}

/** What every Alto process of a bench run shares: its Redis and key prefix (ALTO_PREFIX), and more. */
export type FleetEnv = Record<string, string>;

export interface WorkerSpec {
  /** ALTO_WORKER_ID. */
  id: string;
  /** The process's name in CPU figures. @default 'worker' */
  name?: string;
  /** ALTO_MODEL_REPOSITORY: the worker serves this folder on its own, without a publisher. */
  repository: string;
  /** ALTO_MODELS. @default every model of the repository */
  models?: string;
  /** ALTO_INTRA_OP_THREADS. @default the worker's own */
  threads?: number;
  /** ALTO_METRICS_PORT. @default 0 (any free port) */
  metricsPort?: number;
  /** More of its environment. */
  env?: Record<string, string>;
}

/** A worker, started and ready. Logs at info: its readiness line is one. */
export const startWorker = (fleet: FleetEnv, w: WorkerSpec): Promise<Proc> =>
  node(
    w.name ?? 'worker',
    'apps/worker/src/main.ts',
    {
      ...fleet,
      ALTO_LOG_LEVEL: 'info',
      ALTO_MODEL_REPOSITORY: w.repository,
      ...(w.models === undefined ? {} : { ALTO_MODELS: w.models }),
      ...(w.threads === undefined ? {} : { ALTO_INTRA_OP_THREADS: String(w.threads) }),
      ALTO_METRICS_PORT: String(w.metricsPort ?? 0),
      ALTO_WORKER_ID: w.id,
      ...w.env,
    },
    /worker ready/,
  );

/** A gateway on `port`, started and listening. Logs at info: its readiness line is one. */
export const startGateway = (fleet: FleetEnv, port: number): Promise<Proc> =>
  node(
    'gateway',
    'apps/gateway/src/main.ts',
    { ...fleet, ALTO_LOG_LEVEL: 'info', PORT: String(port) },
    /gateway listening/,
  );
