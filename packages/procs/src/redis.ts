// A local redis-server child: on a free port (or a chosen one), without persistence unless
// given a data directory. When redis-server is missing and this process runs as root with
// apt-get, it is installed; otherwise the error says what to run. Not a Redis client.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort, portFree } from './ports.ts';
import { startProc, type Proc } from './proc.ts';

export const REDIS_INSTALL = 'apt-get update && apt-get install -y redis-server';

const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/**
 * Makes sure `redis-server` is on PATH: installs it with apt-get when it is missing and this
 * process is root, else throws one line saying what to run, and `orElse` (e.g. `set REDIS_URL
 * to an existing Redis`) when the caller has another way. `onInstall` hears before a (slow)
 * install starts.
 */
export function ensureRedisServer(onInstall: (message: string) => void = () => {}, orElse?: string): void {
  if (onPath('redis-server')) return;
  const root = process.getuid?.() === 0;
  if (!root || !onPath('apt-get')) {
    throw new Error(
      `redis-server is not installed. Install it (e.g. \`sudo ${REDIS_INSTALL}\`)${orElse ? ` or ${orElse}` : ''}.`,
    );
  }
  onInstall(`redis-server is missing; installing it: ${REDIS_INSTALL}`);
  const r = spawnSync('sh', ['-c', REDIS_INSTALL], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0 || !onPath('redis-server'))
    throw new Error(`installing redis-server failed; run \`${REDIS_INSTALL}\` by hand`);
}

export interface StartRedisOptions {
  /** The port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** When `port` is taken, listen on a free one instead. @default false */
  orFreePort?: boolean;
  /**
   * Data directory, created if missing. With one, the append-only file is on and fsynced as
   * `appendfsync` says; without one nothing is persisted.
   */
  dir?: string;
  /** @default 'everysec' */
  appendfsync?: 'everysec' | 'always';
  /** Further redis-server arguments, e.g. `['--maxmemory-policy', 'noeviction']`. */
  args?: readonly string[];
  /** See SpawnProcOptions.detached. @default false */
  detached?: boolean;
  /** Install redis-server when missing (see ensureRedisServer). @default true */
  install?: boolean;
  /** Hears about an install before it starts. */
  onInstall?: (message: string) => void;
  /** What else the user can do when redis-server is missing (see ensureRedisServer). */
  orElse?: string;
  /** @default 30_000 */
  timeoutMs?: number;
}

export interface RedisServer {
  url: string;
  port: number;
  proc: Proc;
  child: ChildProcess;
  /** SIGTERM, and waits for the exit; SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
  if (opts.install ?? true) ensureRedisServer(opts.onInstall, opts.orElse);
  let port = opts.port ?? 0;
  if (port === 0 || (opts.orFreePort && !(await portFree(port)))) port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', ''];
  if (opts.dir) {
    const dir = resolve(opts.dir);
    mkdirSync(dir, { recursive: true });
    args.push('--dir', dir, '--appendonly', 'yes', '--appendfsync', opts.appendfsync ?? 'everysec');
  } else {
    args.push('--appendonly', 'no');
  }
  args.push(...(opts.args ?? []));
  const proc = await startProc('redis-server', args, {
    name: 'redis-server',
    ready: /Ready to accept connections/i,
    detached: opts.detached ?? false,
    // A long-lived server logs little, but keep memory bounded all the same.
    outputLimit: 64 * 1024,
    timeoutMs: opts.timeoutMs ?? 30_000,
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    proc,
    child: proc.child,
    stop: async () => {
      await proc.stop();
    },
  };
}
