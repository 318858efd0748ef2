// The Python serving peers a user would weigh against Alto: LitServe and Ray Serve, serving the
// same ONNX model through Python onnxruntime with the same thread budget and batching limits,
// each accepting Alto's request body (bench/peers/*.py). Installed into .alto/bench-venv by
// scripts/install-bench-venv.sh; each is started alone, warmed up, measured, and stopped with
// every process it made gone before anything else runs (a leftover Ray worker skews every
// later figure, so one is an error, not a warning).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, freePort } from './procs.ts';
import type { LoadResult } from './report.ts';

export const PEERS = ['litserve', 'rayserve'] as const;
export type PeerName = (typeof PEERS)[number];
export const PEER_LABEL: Record<PeerName, string> = { litserve: 'LitServe 0.2.19', rayserve: 'Ray Serve 2.60' };

export interface PeerRun {
  name: PeerName;
  rows: (LoadResult & { concurrency: number })[];
  /** Cores by process name during the highest-concurrency run (all the peer's processes). */
  cpu: Record<string, number>;
  startSeconds: number;
}

/** The bench venv's interpreter, installing it first; undefined (with the reason logged) where it cannot be. */
export function benchPython(log: (msg: string) => void): string | undefined {
  try {
    return execFileSync('bash', [join(ROOT, 'scripts/install-bench-venv.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 900_000,
    })
      .trim()
      .split('\n')
      .pop();
  } catch (err) {
    log(`peers skipped: the bench venv could not be installed (${(err as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

const stat = (pid: number): string[] | undefined => {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return [s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), ...s.slice(s.lastIndexOf(')') + 2).split(' ')];
  } catch {
    return undefined;
  }
};
/** Alive: present and not a zombie. */
const alive = (pid: number) => {
  const s = stat(pid);
  return s !== undefined && s[1] !== 'Z';
};

/** Every live descendant of `pid`, from /proc (Ray's raylet, workers and actors included). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of existsSync('/proc') ? readdirSync('/proc') : []) {
    const p = Number(entry);
    if (!Number.isInteger(p)) continue;
    const s = stat(p);
    if (!s || s[1] === 'Z') continue;
    const ppid = Number(s[2]);
    children.set(ppid, [...(children.get(ppid) ?? []), p]);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** CPU seconds (user + system) per pid, for those alive. */
const cpuOf = (pids: number[]) =>
  new Map(
    pids.flatMap((p) => {
      const s = stat(p);
      return s ? [[p, { name: s[0]!, seconds: (Number(s[12]) + Number(s[13])) / 100 }] as const] : [];
    }),
  );

/** Runs `work` and returns the cores each process name of `root`'s tree used during it. */
async function withTreeCpu<T>(
  root: number,
  work: () => Promise<T>,
): Promise<{ result: T; cpu: Record<string, number> }> {
  const before = cpuOf([root, ...descendants(root)]);
  const t0 = performance.now();
  const result = await work();
  const wall = (performance.now() - t0) / 1000;
  const after = cpuOf([root, ...descendants(root)]);
  const cpu: Record<string, number> = {};
  for (const [pid, a] of after) {
    const used = a.seconds - (before.get(pid)?.seconds ?? 0);
    cpu[a.name] = Math.round(((cpu[a.name] ?? 0) + used / wall) * 100) / 100;
  }
  return { result, cpu: Object.fromEntries(Object.entries(cpu).filter(([, v]) => v >= 0.01)) };
}

function startPeer(python: string, name: PeerName, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(python, [`${name}_server.py`], {
    cwd: join(ROOT, 'bench/peers'),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} not ready after 300 s`)), 300_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      void stopPeer(child).finally(() => reject(new Error(`${err.message}; its last output:\n${output.slice(-2000)}`)));
    };
    const onData = (b: Buffer) => {
      output += b.toString();
      if (output.includes('peer ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    child.once('exit', (code) => fail(new Error(`${name} exited with ${code} before ready`)));
  });
}

/** SIGTERM to the peer's process group, then SIGKILL to whatever of its tree remains; throws if anything survives. */
async function stopPeer(child: ChildProcess): Promise<void> {
  const pid = child.pid!;
  const tree = [pid, ...descendants(pid)];
  const waitGone = async (ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
      if (!tree.some(alive)) return true;
    return !tree.some(alive);
  };
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  if (await waitGone(15_000)) return;
  for (const p of [...tree, ...tree.flatMap(descendants)]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  if (!(await waitGone(10_000)))
    throw new Error(`peer processes still running after SIGKILL: ${tree.filter(alive).join(', ')}`);
}

/**
 * Measures each peer on `model` at each concurrency with the JSON body `file`, one server at a
 * time. `load` is the bench's closed-loop client.
 */
export async function benchPeers(opts: {
  python: string;
  model: string;
  modelPath: string;
  maxBatch: number;
  threads: number;
  file: string;
  concurrency: number[];
  log: (msg: string) => void;
  load: (url: string, file: string, concurrency: number) => Promise<LoadResult>;
}): Promise<PeerRun[]> {
  const runs: PeerRun[] = [];
  for (const name of PEERS) {
    opts.log(`${opts.model}: peer ${PEER_LABEL[name]}`);
    const port = await freePort();
    const t0 = performance.now();
    const child = await startPeer(opts.python, name, {
      MODEL: opts.model,
      MODEL_PATH: opts.modelPath,
      PORT: String(port),
      MAX_BATCH: String(opts.maxBatch),
      BATCH_TIMEOUT_S: '0',
      THREADS: String(opts.threads),
    });
    const run: PeerRun = { name, rows: [], cpu: {}, startSeconds: Math.round((performance.now() - t0) / 100) / 10 };
    try {
      const url = `http://127.0.0.1:${port}/v1/models/${opts.model}/predictions`;
      const top = Math.max(...opts.concurrency);
      for (const c of opts.concurrency) {
        const { result, cpu } = await withTreeCpu(child.pid!, () => opts.load(url, opts.file, c));
        run.rows.push({ concurrency: c, ...result });
        if (c === top) run.cpu = cpu;
      }
    } finally {
      await stopPeer(child);
    }
    runs.push(run);
  }
  return runs;
}
