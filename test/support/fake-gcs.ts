// A real GCS emulator (fake-gcs-server) child on a free port, for the checkpoint-source tests.
// Installed by scripts/install-fake-gcs.sh; a missing binary fails the test, saying so.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '@alto/procs';
import { waitFor } from './wait.ts';

const BIN = 'fake-gcs-server';

export interface FakeGcs {
  /** http://127.0.0.1:<port>, for openSource's gcsEndpoint and the Storage client's apiEndpoint. */
  endpoint: string;
  /** Filesystem backend only: where object `name` of `bucket` keeps its bytes. */
  objectPath(bucket: string, name: string): string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function goBinDirs(): string[] {
  const dirs: string[] = [];
  try {
    const [gobin = '', gopath = ''] = execFileSync('go', ['env', 'GOBIN', 'GOPATH'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
    if (gobin.trim()) dirs.push(gobin.trim());
    dirs.push(...gopath.trim().split(delimiter).filter(Boolean).map((p) => join(p, 'bin')));
  } catch {
    // No Go here; the binary may still be on PATH or in the default GOPATH.
  }
  dirs.push(join(homedir(), 'go', 'bin'));
  return dirs;
}

/** Path of the fake-gcs-server binary: GOBIN or GOPATH/bin first, then PATH. */
export function findFakeGcs(): string {
  const dirs = [...goBinDirs(), ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)];
  for (const d of dirs) {
    const p = join(d, BIN);
    if (existsSync(p)) return p;
  }
  throw new Error(`${BIN} not found (looked in ${[...new Set(dirs)].join(', ')}): run scripts/install-fake-gcs.sh`);
}

export async function startFakeGcs(opts: { backend?: 'memory' | 'filesystem' } = {}): Promise<FakeGcs> {
  const bin = findFakeGcs();
  const backend = opts.backend ?? 'memory';
  const port = await freePort();
  const root = backend === 'filesystem' ? await mkdtemp(join(tmpdir(), 'alto-fake-gcs-')) : undefined;
  const args = ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(port), '-backend', backend, '-log-level', 'error'];
  if (root) args.push('-filesystem-root', root);
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (spawnError || child.exitCode !== null) return 'gone';
        return (await fetch(`${endpoint}/storage/v1/b`)).ok;
      },
      { timeoutMs: 20_000, what: `${BIN} on ${endpoint}` },
    );
    if (spawnError || child.exitCode !== null) throw new Error(`${BIN} did not start (${spawnError?.message ?? `exit ${child.exitCode}`}): ${out}`);
  } catch (err) {
    child.kill('SIGKILL');
    if (root) await rm(root, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint,
    child,
    objectPath(bucket, name) {
      if (!root) throw new Error('objectPath needs the filesystem backend');
      return join(root, bucket, ...name.split('/'));
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      if (root) await rm(root, { recursive: true, force: true });
    },
  };
}
