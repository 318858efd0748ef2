// First-use install of the XLA runtime for `npm start`: runs scripts/install-xla-runtime.sh
// (a no-op when .alto/xla-venv is current) in the background, its lines in the fleet's log.
// Workers notice the finished install on their next heartbeat and report the xla runtime;
// until then XLA models show as not placeable. A failure (no suitable Python) is one warning,
// never a stop: ONNX models are served either way.
import type { Logger } from '@alto/telemetry';
import { runSetupScript } from './setup-script.ts';

export interface XlaInstall {
  /** True when the runtime is installed, false when it could not be. */
  done: Promise<boolean>;
  /** Stops an install in progress (its whole process group: pip and its children). */
  stop(): void;
}

export function installXlaRuntime(root: string, log: Logger): XlaInstall {
  const started = performance.now();
  // stdout carries only the interpreter's path.
  const run = runSetupScript(root, 'scripts/install-xla-runtime.sh', {
    log,
    message: 'XLA runtime install',
    linePrefix: 'install-xla-runtime: ',
  });
  const done = run.done.then((r) => {
    if (r.ok) {
      log.info({ ms: Math.round(performance.now() - started) }, 'XLA runtime installed; XLA models follow');
      return true;
    }
    if (!r.stopped) {
      log.warn({ reason: r.reason }, 'XLA runtime not installed; ONNX models only ("no worker has the xla runtime")');
    }
    return false;
  });
  return { done, stop: run.stop };
}
