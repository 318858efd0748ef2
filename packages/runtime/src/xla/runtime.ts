// Supervisor of one XLA runtime process (runtimes/xla, `python -m alto_xla.server`) for one
// worker and device set: starts it, waits for its ready line with a deadline, restarts it
// when it dies and loads its models again before anyone may run on it. It does not retry
// batches: a batch in flight when the process died rejects (see xla-executor.ts).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProc, type Proc } from '@alto/procs';
import { RuntimeGoneError, XlaConnection } from './connection.ts';

/** The load reply's metadata (PROTOCOL.md, op `load`). */
export interface XlaModelMeta {
  model: string;
  version: string;
  inputs: { name: string; datatype: string; shape: number[] }[];
  outputs: { name: string; datatype: string; shape: number[] }[];
  buckets: number[];
  max_batch_size: number;
  /** Lowering + compilation of each bucket, by bucket size. */
  compile_ms: Record<string, number>;
  weights: string;
  params_bytes: number;
  memory_bytes: number;
  platforms: string[];
  already_loaded: boolean;
}

export interface XlaLoadSpec {
  model: string;
  version: string;
  /** The version directory (absolute), holding model.jax. */
  dir: string;
  buckets?: number[];
  /**
   * The model's config (`inputs`, `outputs`) instead of the config.json above `dir`: a
   * version downloaded into the checkpoint cache has none there.
   */
  config?: Record<string, unknown>;
}

/** The load request's fields for a spec. */
const loadRequest = (spec: XlaLoadSpec) => ({
  op: 'load',
  model: spec.model,
  version: spec.version,
  dir: spec.dir,
  ...(spec.buckets ? { buckets: spec.buckets } : {}),
  ...(spec.config ? { config: spec.config } : {}),
});

/** What the runtime reports about itself. */
export type XlaRuntimeEvent =
  | { type: 'ready'; pid: number; kind: string; count: number; ms: number; restarts: number }
  | { type: 'exited'; pid: number; code: number | null; signal: string | null; output: string }
  | { type: 'start_failed'; error: Error; attempt: number }
  | { type: 'reloaded'; model: string; version: string; compile_ms: Record<string, number> }
  | { type: 'reload_failed'; model: string; version: string; error: Error }
  | { type: 'log'; line: Record<string, unknown> };

export interface XlaRuntimeOptions {
  /** The venv's interpreter, e.g. .alto/xla-venv/bin/python. */
  python: string;
  /** Extra environment (JAX_PLATFORMS, CUDA_VISIBLE_DEVICES, ...) over this process's. */
  env?: NodeJS.ProcessEnv;
  /** JAX's persistent compilation cache: a restarted runtime skips buckets compiled before. */
  compileCacheDir?: string;
  /** How long a start may take until the ready line. @default 120_000 */
  readyTimeoutMs?: number;
  onEvent?: (e: XlaRuntimeEvent) => void;
}

type State = 'stopped' | 'starting' | 'ready' | 'closed';

export class XlaRuntime {
  private proc: Proc | undefined;
  private state: State = 'stopped';
  private ready: Promise<void> | undefined;
  private readonly models = new Map<string, XlaLoadSpec>();
  private readonly socket: string;
  private restarts = 0;
  private readonly onEvent: (e: XlaRuntimeEvent) => void;
  /** What the ready line said: the PJRT platform's kind and device count. */
  devices: { kind: string; count: number } | undefined;

  constructor(private readonly options: XlaRuntimeOptions) {
    // Unix socket paths are limited to ~104 bytes, so not under a deep repository path.
    this.socket = join(tmpdir(), `alto-xla-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
    this.onEvent = options.onEvent ?? (() => {});
  }

  get pid(): number | undefined {
    return this.proc?.child.pid;
  }

  /** Starts the process unless it runs; resolves once it is ready and its models are loaded. */
  whenReady(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new Error('the XLA runtime was closed'));
    this.ready ??= this.start();
    return this.ready;
  }

  /** A new connection to the ready runtime (one request at a time on it). */
  async connect(): Promise<XlaConnection> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 120_000);
    for (;;) {
      await this.whenReady();
      try {
        return await XlaConnection.open(this.socket);
      } catch (err) {
        // The process died and its exit is not seen yet: whenReady then waits for the restart.
        if (Date.now() > deadline)
          throw new RuntimeGoneError(`cannot connect to the XLA runtime: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /**
   * After a connection broke: waits until the process it went to has exited (a crash; its
   * exit can trail the broken socket) and its replacement is ready. A process still running
   * after `graceMs` only closed that connection, and is used as it is.
   */
  async recover(graceMs = 2000): Promise<void> {
    const proc = this.proc;
    if (proc && !proc.gone()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([proc.exited, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    await this.whenReady();
  }

  /** The runtime's `devices` reply: PJRT platform, device model, count and memory per device. */
  async queryDevices(): Promise<Record<string, unknown>> {
    const conn = await this.connect();
    try {
      return (await conn.request({ op: 'devices' })).header;
    } finally {
      conn.close();
    }
  }

  /** Loads a model (compiling every bucket) and keeps it loaded across restarts. */
  async load(spec: XlaLoadSpec): Promise<XlaModelMeta> {
    const meta = await this.send(spec);
    this.models.set(`${spec.model}@${spec.version}`, spec);
    return meta;
  }

  async unload(model: string, version: string): Promise<void> {
    this.models.delete(`${model}@${version}`);
    if (this.state !== 'ready') return;
    const conn = await this.connect();
    try {
      await conn.request({ op: 'unload', model, version });
    } finally {
      conn.close();
    }
  }

  private async send(spec: XlaLoadSpec): Promise<XlaModelMeta> {
    const conn = await this.connect();
    try {
      const reply = await conn.request(loadRequest(spec));
      return reply.header as unknown as XlaModelMeta;
    } finally {
      conn.close();
    }
  }

  private async start(): Promise<void> {
    this.state = 'starting';
    for (let attempt = 1; ; attempt++) {
      try {
        await this.spawnOnce();
        break;
      } catch (err) {
        if ((this.state as State) === 'closed') throw err;
        this.onEvent({ type: 'start_failed', error: err as Error, attempt });
        // A runtime that cannot start at all (no venv, a broken plugin) fails its loads.
        if (attempt >= 3) {
          this.state = 'stopped';
          this.ready = undefined;
          throw err;
        }
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
    // Reload what was loaded before a restart, on the fresh process, before anyone runs.
    const conn = await XlaConnection.open(this.socket);
    try {
      for (const spec of this.models.values()) {
        try {
          const meta = (await conn.request(loadRequest(spec))).header as unknown as XlaModelMeta;
          this.onEvent({ type: 'reloaded', model: spec.model, version: spec.version, compile_ms: meta.compile_ms });
        } catch (err) {
          this.onEvent({ type: 'reload_failed', model: spec.model, version: spec.version, error: err as Error });
        }
      }
    } finally {
      conn.close();
    }
    if (this.state === 'starting') this.state = 'ready';
  }

  private async spawnOnce(): Promise<void> {
    const started = performance.now();
    // --parent-pid: the runtime exits with this process, even one killed by SIGKILL.
    const args = ['-m', 'alto_xla.server', '--socket', this.socket, '--parent-pid', String(process.pid)];
    if (this.options.compileCacheDir) args.push('--compile-cache', this.options.compileCacheDir);
    const proc = await startProc(this.options.python, args, {
      name: 'xla-runtime',
      env: { ...process.env, ...this.options.env },
      ready: /"event": ?"ready"/,
      timeoutMs: this.options.readyTimeoutMs ?? 120_000,
      outputLimit: 64_000,
    });
    if (this.state === 'closed') {
      await proc.stop(2000);
      throw new Error('the XLA runtime was closed while starting');
    }
    this.proc = proc;
    const line = proc.output().match(/\{[^\n]*"event": ?"ready"[^\n]*\}/)?.[0];
    const ready = line ? (JSON.parse(line) as { kind?: string; count?: number }) : {};
    this.devices = { kind: ready.kind ?? 'unknown', count: ready.count ?? 0 };
    let rest = '';
    proc.child.stderr?.on('data', (b: Buffer) => {
      const lines = (rest + b.toString()).split('\n');
      rest = lines.pop()!;
      for (const l of lines) {
        try {
          this.onEvent({ type: 'log', line: JSON.parse(l) as Record<string, unknown> });
        } catch {
          if (l.trim()) this.onEvent({ type: 'log', line: { message: l } });
        }
      }
    });
    void proc.exited.then((code) => this.died(proc, code));
    this.onEvent({
      type: 'ready',
      pid: proc.child.pid!,
      ...this.devices,
      ms: Math.round(performance.now() - started),
      restarts: this.restarts,
    });
  }

  /** A process that exited on its own is replaced at once, with its models reloaded. */
  private died(proc: Proc, code: number | null): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    this.onEvent({
      type: 'exited',
      pid: proc.child.pid!,
      code,
      signal: proc.child.signalCode,
      output: proc.output().slice(-2000),
    });
    if (this.state === 'closed') return;
    this.restarts++;
    this.ready = this.start();
    this.ready.catch(() => {});
  }

  /** Stops the process (SIGTERM, then SIGKILL after `graceMs`); nothing restarts it. */
  async close(graceMs = 5000): Promise<void> {
    this.state = 'closed';
    const proc = this.proc;
    this.proc = undefined;
    await proc?.stop(graceMs);
    rmSync(this.socket, { force: true });
  }
}
