// Start-up refusals an operator must be able to act on.
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/fleet.ts';
import { startRedis } from './support/redis-server.ts';

const run = (app: string, env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', `apps/${app}/src/main.ts`], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });

/** Like run, without blocking the event loop (the test's redis-server child must keep up). */
const runAsync = (app: string, env: Record<string, string>) =>
  new Promise<{ status: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `apps/${app}/src/main.ts`], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.once('exit', (status) => resolve({ status, output }));
  });

describe('start-up configuration', () => {
  it('refuses an unknown ALTO_ variable, naming the closest valid one', () => {
    const r = run('gateway', { ALTO_MAX_BODY_BYTE: '10' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown variable ALTO_MAX_BODY_BYTE (did you mean ALTO_MAX_BODY_BYTES?)');
  });

  it('refuses an invalid value, naming the variable and the value', () => {
    const r = run('worker', { ALTO_EXECUTION_PROVIDER: 'gpu' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/ALTO_EXECUTION_PROVIDER: .*\(got 'gpu'\)/);
  });

  it('the launcher accepts gateway and worker variables but not typos of them', () => {
    const r = run('fleet', { ALTO_INTRA_OP_THREAD: '1' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('did you mean ALTO_INTRA_OP_THREADS?');
  });

  it('gateway and worker refuse a Redis that may evict keys, saying which setting to change', async () => {
    const lru = await startRedis(undefined, ['--maxmemory-policy', 'allkeys-lru']);
    try {
      const envs: Record<string, Record<string, string>> = {
        gateway: { REDIS_URL: lru.url, PORT: '0' },
        worker: { REDIS_URL: lru.url, ALTO_METRICS_PORT: '0' },
      };
      for (const app of ['gateway', 'worker']) {
        const r = await runAsync(app, envs[app]!);
        expect(r.status, app).toBe(1);
        expect(r.output, app).toContain("Redis has maxmemory-policy 'allkeys-lru'");
        expect(r.output, app).toContain("set it to 'noeviction'");
      }
    } finally {
      await lru.stop();
    }
  });
});
