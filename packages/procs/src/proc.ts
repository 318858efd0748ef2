// One child process: spawned with a given environment, its output kept for ready checks and
// error messages, stopped with SIGTERM and, past a grace period, SIGKILL. Not a supervisor:
// restarting is the caller's business.
import { spawn, type ChildProcess } from 'node:child_process';

export interface SpawnProcOptions {
  /** For messages: `worker`, `redis-server`. @default the command */
  name?: string;
  cwd?: string;
  /** The child's whole environment: nothing is inherited unless passed here. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** `pipe` keeps the output (see `output()`); `inherit` shares this process's terminal. @default 'pipe' */
  stdio?: 'pipe' | 'inherit';
  /**
   * Own process group, so a terminal's Ctrl-C reaches only this process, which can then stop
   * its children in order. @default false
   */
  detached?: boolean;
  /** Keep at most this many characters of output, the latest. @default Infinity */
  outputLimit?: number;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  /** stdout and stderr together, as far as kept; empty with `stdio: 'inherit'`. */
  output(): string;
  /** Settles when the child has exited: its exit code, or null when a signal ended it. */
  exited: Promise<number | null>;
  /** Exited or killed by a signal (a SIGKILLed child has no exit code). */
  gone(): boolean;
  /** Sends `signal` unless the child is gone, and waits for it to exit. @default 'SIGTERM' */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGTERM, then SIGKILL when the child is still running after `graceMs`. @default 10_000 */
  stop(graceMs?: number): Promise<number | null>;
}

export function spawnProc(command: string, args: readonly string[], opts: SpawnProcOptions = {}): Proc {
  const name = opts.name ?? command;
  const limit = opts.outputLimit ?? Infinity;
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', opts.stdio ?? 'pipe', opts.stdio ?? 'pipe'],
    detached: opts.detached ?? false,
  });
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString();
    if (out.length > limit) out = out.slice(-limit);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    // A command that cannot be started emits 'error' and no 'exit'.
    child.once('error', (err) => {
      keep(Buffer.from(`cannot start ${name} (${command}): ${err.message}\n`));
      resolve(null);
    });
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!gone()) child.kill(signal);
    return exited;
  };
  return {
    name,
    child,
    output: () => out,
    exited,
    gone,
    kill,
    async stop(graceMs = 10_000) {
      if (gone()) return exited;
      const hard = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await kill('SIGTERM');
      } finally {
        clearTimeout(hard);
      }
    },
  };
}

/**
 * Waits until `ready` holds: a pattern the output matches, or a check (e.g. a health URL
 * answering). Rejects when the process exits first or `timeoutMs` passes, with the tail of
 * its output. Does not stop the process.
 */
export async function waitReady(
  proc: Proc,
  ready: RegExp | (() => Promise<boolean> | boolean),
  timeoutMs = 60_000,
): Promise<void> {
  const check = typeof ready === 'function' ? ready : () => ready.test(proc.output());
  const what = typeof ready === 'function' ? 'its ready check' : `output matching ${ready}`;
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  for (;;) {
    if (await Promise.resolve(check()).catch(() => false)) return;
    // Checked after the ready check: a process that prints its ready line and exits at once
    // (a one-shot command) was still ready.
    if (exited || proc.gone()) {
      // Settles at once; it also lets the reason a command could not start reach the output.
      await proc.exited;
      throw new Error(
        `${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}) before it was ready:\n${proc.output().slice(-3000)}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${proc.name} was not ready within ${timeoutMs} ms (waiting for ${what}):\n${proc.output().slice(-3000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface StartProcOptions extends SpawnProcOptions {
  /** What makes it ready: see waitReady. */
  ready: RegExp | (() => Promise<boolean> | boolean);
  /** @default 60_000 */
  timeoutMs?: number;
}

/** spawnProc, then waitReady; a process that is not ready in time is SIGKILLed. */
export async function startProc(command: string, args: readonly string[], opts: StartProcOptions): Promise<Proc> {
  const proc = spawnProc(command, args, opts);
  try {
    await waitReady(proc, opts.ready, opts.timeoutMs);
  } catch (err) {
    await proc.kill('SIGKILL');
    throw err;
  }
  return proc;
}
