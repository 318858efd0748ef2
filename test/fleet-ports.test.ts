// Two fleets on one machine: a fixed port that is taken stops `npm start` (and a lone worker
// or dispatcher) with one line naming the port and the variable that moves it, before
// anything is started, instead of a child's EADDRINUSE stack trace.
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { freePort, spawnProc } from '@alto/procs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT, testPrefix } from './support/fleet.ts';

async function run(app: string, env: Record<string, string>) {
  const p = spawnProc(process.execPath, ['--import', 'tsx', `apps/${app}/src/main.ts`], {
    name: app,
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
  });
  const code = await Promise.race([p.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 45_000))]);
  // Should it be running after all, SIGTERM lets the launcher stop its own children.
  await p.stop(20_000);
  return { code, output: p.output() };
}

describe('fixed ports that are taken', () => {
  let taken: Server;
  let port: number;
  // Where the fleet's Redis would keep its data: it must stay uncreated.
  const scratch = mkdtempSync(join(tmpdir(), 'alto-ports-'));
  const redisDir = join(scratch, 'redis');
  beforeAll(async () => {
    taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    port = (taken.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => taken.close(() => r()));
    rmSync(scratch, { recursive: true, force: true });
  });

  it('npm start names PORT when the gateway port is taken, in one line, and starts nothing', async () => {
    const r = await run('fleet', { PORT: String(port), ALTO_REDIS_DIR: redisDir });
    expect(r.code).toBe(1);
    expect(r.output).toBe(
      `alto fleet: port ${port} on 127.0.0.1 is in use (another Alto running?); set PORT to a free port\n`,
    );
    expect(existsSync(redisDir)).toBe(false);
  });

  it('npm start names ALTO_METRICS_PORT when the chosen worker metrics port is taken', async () => {
    const r = await run('fleet', {
      PORT: String(await freePort()),
      ALTO_METRICS_PORT: String(port),
      ALTO_REDIS_DIR: redisDir,
    });
    expect(r.code).toBe(1);
    expect(r.output).toBe(
      `alto fleet: port ${port} on 127.0.0.1 is in use (another Alto running?); set ALTO_METRICS_PORT to a free port\n`,
    );
  });

  it('npm start names ALTO_ADMIN_PORT when the chosen admin port is taken', async () => {
    const r = await run('fleet', {
      PORT: String(await freePort()),
      ALTO_ADMIN_PORT: String(port),
      ALTO_REDIS_DIR: redisDir,
    });
    expect(r.code).toBe(1);
    expect(r.output).toContain(`set ALTO_ADMIN_PORT to a free port\n`);
  });

  it('npm start refuses a Redis data directory another running fleet holds, and leaves it alone', async () => {
    const held = join(scratch, 'held');
    mkdirSync(held);
    writeFileSync(join(held, 'fleet.pid'), String(process.pid));
    const r = await run('fleet', { PORT: String(await freePort()), ALTO_REDIS_DIR: held });
    expect(r.code).toBe(1);
    expect(r.output).toBe(
      `alto fleet: ${held} holds the Redis data of another running fleet (pid ${process.pid}); ` +
        'set ALTO_REDIS_DIR to another directory, or REDIS_URL to share its Redis\n',
    );
    expect(readFileSync(join(held, 'fleet.pid'), 'utf8')).toBe(String(process.pid));
  });

  it('a worker whose metrics port is taken exits 1 logging one error naming ALTO_METRICS_PORT, not an uncaught EADDRINUSE', async () => {
    const r = await run('worker', {
      REDIS_URL: inject('redisUrl'),
      ALTO_PREFIX: testPrefix('ports'),
      ALTO_MODEL_REPOSITORY: `${ROOT}models`,
      ALTO_MODELS: 'tiny',
      ALTO_METRICS_PORT: String(port),
      ALTO_INTRA_OP_THREADS: '1',
      ALTO_LOG_LEVEL: 'info',
    });
    expect(r.code).toBe(1);
    // Only log lines: an uncaught error would print Node's own stack trace, which is not JSON.
    const lines = r.output
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; err?: { message: string } });
    const fatal = lines.find((l) => l.msg === 'worker failed to start');
    expect(fatal?.err?.message).toBe(
      `port ${port} on 127.0.0.1 is in use (another Alto running?); set ALTO_METRICS_PORT to a free port`,
    );
  });
});
