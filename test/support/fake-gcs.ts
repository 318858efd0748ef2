// A real GCS emulator (fake-gcs-server) child on a free port, for the checkpoint-source tests.
// The e2e setup (global-setup.ts) builds it with Go into .alto/tools/bin when no copy is found;
// without Go the tests that need it fail, saying what to install.
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startProc, type Proc } from '@alto/procs';

const BIN = 'fake-gcs-server';
const MODULE = 'github.com/fsouza/fake-gcs-server';
/** The release built when none is found; it needs Go 1.26, which Go 1.21+ fetches itself. */
const VERSION = 'v1.56.1';
/** Project-local tools, built once and kept (gitignored with the rest of .alto/). */
export const TOOLS_BIN = fileURLToPath(new URL('../../.alto/tools/bin/', import.meta.url));

export interface FakeGcs {
  /** http://127.0.0.1:<port>, for openSource's gcsEndpoint and the Storage client's apiEndpoint. */
  endpoint: string;
  /** Filesystem backend only: where object `name` of `bucket` keeps its bytes. */
  objectPath(bucket: string, name: string): string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const hasGo = () => spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;

function goBinDirs(): string[] {
  const dirs: string[] = [];
  try {
    const [gobin = '', gopath = ''] = execFileSync('go', ['env', 'GOBIN', 'GOPATH'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).split('\n');
    if (gobin.trim()) dirs.push(gobin.trim());
    dirs.push(
      ...gopath
        .trim()
        .split(delimiter)
        .filter(Boolean)
        .map((p) => join(p, 'bin')),
    );
  } catch {
    // No Go here; the binary may still be on PATH or in the default GOPATH.
  }
  dirs.push(join(homedir(), 'go', 'bin'));
  return dirs;
}

const searched = () => [TOOLS_BIN, ...goBinDirs(), ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)];

/** Path of a fake-gcs-server binary: .alto/tools/bin, GOBIN or GOPATH/bin, then PATH; or undefined. */
function locate(): string | undefined {
  for (const d of searched()) {
    const p = join(d, BIN);
    if (existsSync(p)) return p;
  }
  return undefined;
}

const NO_GO =
  `${BIN} is missing and Go is not installed to build it: install Go 1.21 or later ` +
  '(https://go.dev/dl/, or apt-get install golang-go) and run the tests again; they build it into .alto/tools/bin once';

/** Path of the fake-gcs-server binary; throws one line saying what to install when there is none. */
export function findFakeGcs(): string {
  const found = locate();
  if (found) return found;
  throw new Error(
    hasGo()
      ? `${BIN} not found (looked in ${[...new Set(searched())].join(', ')}); the e2e setup builds it with Go: run the e2e tests again`
      : NO_GO,
  );
}

/**
 * Finds fake-gcs-server, or builds it into .alto/tools/bin with `go install` (once: later runs
 * find it there). Returns its path, or throws one line saying what is missing.
 */
export function ensureFakeGcs(say: (line: string) => void): string {
  const found = locate();
  if (found) return found;
  if (!hasGo()) throw new Error(NO_GO);
  say(`${BIN} is missing; building ${MODULE}@${VERSION} into .alto/tools/bin (once)`);
  const r = spawnSync('go', ['install', `${MODULE}@${VERSION}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    // GOTOOLCHAIN=auto lets an older Go fetch the toolchain the release needs (some
    // distributions' Go packages default to local).
    env: { ...process.env, GOBIN: TOOLS_BIN, GOTOOLCHAIN: process.env.GOTOOLCHAIN || 'auto' },
  });
  const built = join(TOOLS_BIN, BIN);
  if (r.status !== 0 || !existsSync(built)) {
    throw new Error(
      `building ${BIN} failed (go install ${MODULE}@${VERSION} exited ${r.status ?? r.signal}); see the output above`,
    );
  }
  return built;
}

export async function startFakeGcs(opts: { backend?: 'memory' | 'filesystem' } = {}): Promise<FakeGcs> {
  const bin = findFakeGcs();
  const backend = opts.backend ?? 'memory';
  const port = await freePort();
  const root = backend === 'filesystem' ? await mkdtemp(join(tmpdir(), 'alto-fake-gcs-')) : undefined;
  const args = [
    '-scheme',
    'http',
    '-host',
    '127.0.0.1',
    '-port',
    String(port),
    '-backend',
    backend,
    '-log-level',
    'error',
  ];
  if (root) args.push('-filesystem-root', root);
  const endpoint = `http://127.0.0.1:${port}`;
  let proc: Proc;
  try {
    proc = await startProc(bin, args, {
      name: BIN,
      ready: async () => (await fetch(`${endpoint}/storage/v1/b`)).ok,
      timeoutMs: 20_000,
    });
  } catch (err) {
    if (root) await rm(root, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint,
    child: proc.child,
    objectPath(bucket, name) {
      if (!root) throw new Error('objectPath needs the filesystem backend');
      return join(root, bucket, ...name.split('/'));
    },
    async stop() {
      await proc.stop();
      if (root) await rm(root, { recursive: true, force: true });
    },
  };
}
