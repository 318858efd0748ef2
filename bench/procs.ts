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
