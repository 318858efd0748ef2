// The onnxruntime executor: a pool of inference threads for one model (Triton's instance
// count). Hands each batch to a free thread and replaces a thread that dies, so one crash
// costs one batch. Which batch runs when is the worker's scheduler's business, not this.
import type { Executor } from './executor.ts';
import { assertProviderReady } from './providers.ts';
import { SessionThread, type RunResult } from './session-thread.ts';
import type { IoMeta, RawTensor, SessionOptions } from './thread-protocol.ts';

/** Batches one thread holds: the one it runs and the one queued behind it. */
const THREAD_DEPTH = 2;

export interface OnnxExecutorOptions {
  path: string;
  session: SessionOptions;
  /** Inference threads, each with its own session. @default 1 */
  instances?: number;
  /** Told when a thread died and was replaced. */
  onThreadDeath?: (err: Error) => void;
}

export class OnnxExecutor implements Executor {
  private readonly threads: SessionThread[] = [];
  private readonly waiting: (() => void)[] = [];
  private closed = false;
  readonly slots: number;
  /** One batch queued per thread behind its running one (see Executor.ahead). */
  readonly ahead: number;

  private constructor(private readonly options: OnnxExecutorOptions) {
    this.slots = Math.max(1, options.instances ?? 1);
    this.ahead = this.slots;
  }

  /** Loads the model on `instances` threads. */
  static async create(options: OnnxExecutorOptions): Promise<OnnxExecutor> {
    assertProviderReady(options.session.executionProviders[0] ?? 'cpu');
    const e = new OnnxExecutor(options);
    for (let i = 0; i < e.slots; i++) e.adopt(await SessionThread.open(options.path, options.session));
    return e;
  }

  get inputs(): IoMeta[] {
    return this.threads[0]!.inputs;
  }

  get outputs(): IoMeta[] {
    return this.threads[0]!.outputs;
  }

  get busyCount(): number {
    return this.threads.filter((t) => t.busy).length;
  }

  /**
   * The scheduler hands out at most `slots + ahead` batches at a time, so a thread has room
   * here unless one died and its replacement is still loading: then the batch waits for it.
   */
  private whenThreadFree(): Promise<void> {
    if (this.closed || this.threads.some((t) => t.alive && t.pending < THREAD_DEPTH)) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The live thread with the fewest batches: an idle one first, else the one to queue behind. */
  private leastBusy(): SessionThread | undefined {
    let best: SessionThread | undefined;
    for (const t of this.threads)
      if (t.alive && t.pending < THREAD_DEPTH && (!best || t.pending < best.pending)) best = t;
    return best;
  }

  async run(feeds: Record<string, RawTensor>): Promise<RunResult> {
    await this.whenThreadFree();
    const thread = this.leastBusy();
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
