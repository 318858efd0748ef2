// Processes under measurement: start them, wait until they are ready, read their CPU time
// and memory from /proc, stop them.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export { freePort } from '../test/support/redis-server.ts';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TICKS = 100; // USER_HZ on Linux

export interface Proc {
  name: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export async function start(name: string, cmd: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<Proc> {
  const child = spawn(cmd, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      if (ready.test(out)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready:\n${out.slice(-3000)}`)));
  });
  child.removeAllListeners('exit');
  return {
    name,
    child,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(hard);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

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
export async function withCpu<T>(procs: Proc[], work: () => Promise<T>): Promise<{ result: T; cpu: Record<string, number> }> {
  const before = procs.map((p) => cpuSeconds(p.child.pid!));
  const t0 = performance.now();
  const result = await work();
  const wall = (performance.now() - t0) / 1000;
  const cpu: Record<string, number> = {};
  procs.forEach((p, i) => (cpu[p.name] = Math.round(((cpuSeconds(p.child.pid!) - before[i]!) / wall) * 100) / 100));
  return { result, cpu };
}
