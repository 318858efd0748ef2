// A pool of inference threads for one model (Triton's instance count). Hands each batch to
// a free thread and replaces a thread that dies, so one crash costs one batch.
import { SessionThread, type RunResult } from './session-thread.ts';
import type { IoMeta, RawTensor, SessionOptions } from './thread-protocol.ts';

export interface ExecutorOptions {
  path: string;
  session: SessionOptions;
  /** Inference threads, each with its own session. @default 1 */
  instances?: number;
  /** Told when a thread died and was replaced. */
  onThreadDeath?: (err: Error) => void;
}

export class Executor {
  private readonly threads: SessionThread[] = [];
  private readonly waiting: (() => void)[] = [];
  private closed = false;

  private constructor(private readonly options: ExecutorOptions) {}

  static async create(options: ExecutorOptions): Promise<Executor> {
    const e = new Executor(options);
    const n = Math.max(1, options.instances ?? 1);
    for (let i = 0; i < n; i++) e.adopt(await SessionThread.open(options.path, options.session));
    return e;
  }

  get inputs(): IoMeta[] {
    return this.threads[0]!.inputs;
  }

  get outputs(): IoMeta[] {
    return this.threads[0]!.outputs;
  }

  /** True when a thread could start a batch now. */
  get idle(): boolean {
    return this.threads.some((t) => t.alive && !t.busy);
  }

  get busyCount(): number {
    return this.threads.filter((t) => t.busy).length;
  }

  /** Resolves when some thread is free. */
  whenIdle(): Promise<void> {
    if (this.idle || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async run(feeds: Record<string, RawTensor>): Promise<RunResult> {
    await this.whenIdle();
    const thread = this.threads.find((t) => t.alive && !t.busy);
    if (!thread) throw new Error('no inference thread is available');
    try {
      return await thread.run(feeds);
    } finally {
      this.waiting.shift()?.();
    }
  }

  private adopt(thread: SessionThread): void {
    this.threads.push(thread);
    thread.onDeath = (err) => {
      this.threads.splice(this.threads.indexOf(thread), 1);
      this.options.onThreadDeath?.(err);
      if (this.closed) return;
      SessionThread.open(this.options.path, this.options.session).then(
        (t) => {
          this.adopt(t);
          this.waiting.shift()?.();
        },
        (e: Error) => this.options.onThreadDeath?.(e),
      );
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w();
    await Promise.all(this.threads.splice(0).map((t) => t.close()));
  }
}
