// First-use install of the XLA runtime for `npm start`: runs scripts/install-xla-runtime.sh
// (a no-op when .alto/xla-venv is current) in the background, its lines in the fleet's log.
// Workers notice the finished install on their next heartbeat and report the xla runtime;
// until then XLA models show as not placeable. A failure (no suitable Python) is one warning,
// never a stop: ONNX models are served either way.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '@alto/telemetry';

export interface XlaInstall {
  /** True when the runtime is installed, false when it could not be. */
  done: Promise<boolean>;
  /** Stops an install in progress (its whole process group: pip and its children). */
  stop(): void;
}

export function installXlaRuntime(root: string, log: Logger): XlaInstall {
  const started = performance.now();
  const child: ChildProcess = spawn('bash', [`${root}scripts/install-xla-runtime.sh`], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let last = '';
  const lines = (b: Buffer) => {
    for (const line of b.toString().split('\n')) {
      if (!line.trim()) continue;
      last = line.replace(/^install-xla-runtime: /, '');
      log.info({ line: last }, 'XLA runtime install');
    }
  };
  child.stderr?.on('data', lines);
  // stdout carries only the interpreter's path.
  child.stdout?.resume();
  const done = new Promise<boolean>((resolve) => {
    child.once('error', (err) => {
      log.warn({ err: err.message }, 'XLA runtime not installed; XLA models stay not placeable');
      resolve(false);
    });
    child.once('exit', (code, signal) => {
      if (code === 0) {
        log.info({ ms: Math.round(performance.now() - started) }, 'XLA runtime installed; XLA models follow');
        resolve(true);
        return;
      }
      if (signal === null)
        log.warn({ reason: last }, 'XLA runtime not installed; ONNX models only ("no worker has the xla runtime")');
      resolve(false);
    });
  });
  return {
    done,
    stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    },
  };
}
