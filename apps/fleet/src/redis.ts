// Starts a local redis-server for the all-in-one fleet: AOF on, noeviction, data in a
// project-local directory. Installs redis-server with apt-get when it is missing and this
// process may (root), else says exactly what to run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { Logger } from '@alto/telemetry';

const INSTALL = 'apt-get update && apt-get install -y redis-server';

const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

export function ensureRedisServer(log: Logger): void {
  if (onPath('redis-server')) return;
  const root = process.getuid?.() === 0;
  if (!root || !onPath('apt-get')) {
    throw new Error(`redis-server is not installed. Install it (e.g. \`sudo ${INSTALL}\`) or set REDIS_URL to an existing Redis.`);
  }
  log.info(`redis-server is missing; installing it: ${INSTALL}`);
  const r = spawnSync('sh', ['-c', INSTALL], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0 || !onPath('redis-server')) throw new Error(`installing redis-server failed; run \`${INSTALL}\` by hand`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

export interface LocalRedis {
  url: string;
  child: ChildProcess;
}

export async function startLocalRedis(dir: string, preferredPort: number, log: Logger): Promise<LocalRedis> {
  ensureRedisServer(log);
  const data = resolve(dir);
  mkdirSync(data, { recursive: true });
  const port = preferredPort > 0 && (await portFree(preferredPort)) ? preferredPort : await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', data,
      '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
      '--maxmemory-policy', 'noeviction',
    ],
    // Own process group, so Ctrl-C does not stop Redis before the workers have drained.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  const ready = new Promise<void>((res, rej) => {
    const onData = (b: Buffer) => {
      output += b.toString();
      if (/Ready to accept connections/i.test(output)) res();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => rej(new Error(`redis-server exited with code ${code}:\n${output.slice(-2000)}`)));
  });
  await ready;
  child.removeAllListeners('exit');
  log.info({ port, dir: data }, 'redis-server started (AOF on)');
  return { url: `redis://127.0.0.1:${port}`, child };
}
