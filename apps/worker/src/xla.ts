// The worker's executors beyond onnxruntime: which runtimes it has (reported every heartbeat,
// so a runtime installed while the worker runs is picked up) and the one XLA runtime process
// it supervises for all its XLA models, started on the first XLA load.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ModelFormat } from '@alto/repository';
import { XlaRuntime, type XlaRuntimeEvent } from '@alto/runtime';
import type { Logger } from '@alto/telemetry';
import type { RuntimeDevices } from './devices.ts';
import type { WorkerEnv } from './env.ts';

export class WorkerRuntimes {
  private xlaRuntime: XlaRuntime | undefined;

  constructor(
    private readonly env: WorkerEnv,
    private readonly log: Logger,
    /** Called with the runtime's `devices` reply each time it becomes ready (placement by device). */
    private readonly onDevices?: (reply: RuntimeDevices) => void,
  ) {}

  /** The venv's interpreter; the install script writes the stamp last, so its presence marks a whole install. */
  private get python(): string {
    return join(this.env.ALTO_XLA_VENV, 'bin', 'python');
  }

  private xlaInstalled(): boolean {
    return this.env.ALTO_XLA_RUNTIME !== 'off' && existsSync(join(this.env.ALTO_XLA_VENV, '.alto-stamp'));
  }

  /** The executors this worker can run now. */
  available(): ModelFormat[] {
    return this.xlaInstalled() ? ['onnx', 'xla'] : ['onnx'];
  }

  /** The sim executor (tests and benchmarks) needs no runtime, and is not reported as one. */
  has(format: ModelFormat): boolean {
    return format === 'sim' || this.available().includes(format);
  }

  /** The XLA runtime, created on first use; its process starts with the first load. */
  xla(): XlaRuntime {
    if (!this.xlaInstalled()) {
      throw new Error(
        this.env.ALTO_XLA_RUNTIME === 'off'
          ? 'this worker runs no XLA models (ALTO_XLA_RUNTIME=off)'
          : `this worker has no XLA runtime: ${this.env.ALTO_XLA_VENV} is not installed (run scripts/install-xla-runtime.sh)`,
      );
    }
    this.xlaRuntime ??= new XlaRuntime({
      python: this.python,
      compileCacheDir: join(dirname(this.env.ALTO_XLA_VENV), 'xla-compile-cache'),
      readyTimeoutMs: this.env.ALTO_XLA_READY_TIMEOUT_MS,
      onEvent: (e) => this.logEvent(e),
    });
    return this.xlaRuntime;
  }

  private logEvent(e: XlaRuntimeEvent): void {
    const log = this.log.child({ runtime: 'xla' });
    switch (e.type) {
      case 'ready':
        log.info(
          { runtime_pid: e.pid, kind: e.kind, devices: e.count, start_ms: e.ms, restarts: e.restarts },
          'XLA runtime ready',
        );
        if (this.onDevices) {
          const report = this.onDevices;
          this.xlaRuntime
            ?.queryDevices()
            .then((reply) => report(reply as unknown as RuntimeDevices))
            .catch((err: unknown) => log.warn({ err }, 'could not read the XLA runtime devices'));
        }
        return;
      case 'exited':
        log.error(
          { runtime_pid: e.pid, code: e.code, signal: e.signal, output: e.output },
          'XLA runtime exited; restarting it',
        );
        return;
      case 'start_failed':
        log.error({ err: e.error, attempt: e.attempt }, 'XLA runtime failed to start');
        return;
      case 'reloaded':
        log.info(
          { model: e.model, version: e.version, compile_ms: e.compile_ms },
          'reloaded on the restarted XLA runtime',
        );
        return;
      case 'reload_failed':
        log.error(
          { model: e.model, version: e.version, err: e.error },
          'reloading on the restarted XLA runtime failed',
        );
        return;
      case 'log':
        log.debug({ line: e.line }, 'XLA runtime');
        return;
      default: {
        const never: never = e;
        throw new Error(`unhandled XLA runtime event ${JSON.stringify(never)}`);
      }
    }
  }

  async close(): Promise<void> {
    await this.xlaRuntime?.close();
  }
}
