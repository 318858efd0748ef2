// Runs an app's main.ts to its exit, with only the environment given (no ALTO_* of the
// caller's), for tests of start-up refusals. Apps that keep running are fleet.ts's.
import { spawn, spawnSync } from 'node:child_process';
import { ROOT } from './fleet.ts';

const args = (app: string) => ['--import', 'tsx', `apps/${app}/src/main.ts`];
const envOf = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? '', ...env });

/** Runs `app` and waits at most 30 s for its exit, blocking the event loop meanwhile. */
export const runApp = (app: string, env: Record<string, string>) =>
  spawnSync(process.execPath, args(app), { cwd: ROOT, env: envOf(env), encoding: 'utf8', timeout: 30_000 });

/** Like runApp, without blocking the event loop (a test's own child, such as a redis-server, must keep up). */
export const runAppAsync = (app: string, env: Record<string, string>) =>
  new Promise<{ status: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, args(app), { cwd: ROOT, env: envOf(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.once('exit', (status) => resolve({ status, output }));
  });
