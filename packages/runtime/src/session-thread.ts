// Main-thread handle on one inference thread: load a model, run feeds, report a death.
import { Worker } from 'node:worker_threads';
import { giveInputBuffer } from './input-buffers.ts';
import type { FromThread, IoMeta, RawTensor, SessionOptions, ToThread } from './thread-protocol.ts';

export interface RunResult {
  outputs: Record<string, RawTensor>;
  /** Time inside session.run, measured on the inference thread. */
  ms: number;
}

const THREAD = new URL('./inference-thread.mjs', import.meta.url);

/** Turns onnxruntime's load failures into messages that say what to do. */
function explainLoadError(message: string, options: SessionOptions): string {
  const ep = options.executionProviders[0] ?? 'cpu';
  if (ep !== 'cpu' && /provider|backend|not (found|supported|available)|Invalid argument/i.test(message)) {
    return (
      `execution provider '${ep}' is not available in this onnxruntime-node build (${message}); ` +
      `install onnxruntime-node's ${ep.toUpperCase()} binaries on this machine or set ALTO_EXECUTION_PROVIDER=cpu`
    );
  }
  return message;
}

export class SessionThread {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly inflight = new Map<number, { resolve: (r: RunResult) => void; reject: (e: Error) => void }>();
  private dead: Error | undefined;
  inputs: IoMeta[] = [];
  outputs: IoMeta[] = [];
  /** Called once if the thread dies on its own (crash, out of memory). */
  onDeath: ((err: Error) => void) | undefined;

  private constructor() {
    this.worker = new Worker(THREAD);
    this.worker.on('message', (msg: FromThread) => {
      if (msg.type === 'result' || msg.type === 'error') {
        const call = this.inflight.get(msg.id);
        this.inflight.delete(msg.id);
        if (msg.type === 'result') {
          for (const b of msg.inputs ?? []) giveInputBuffer(b);
          call?.resolve({ outputs: msg.outputs, ms: msg.ms });
        } else call?.reject(new Error(msg.message));
      }
    });
    const die = (err: Error) => {
      if (this.dead) return;
      this.dead = err;
      for (const call of this.inflight.values()) call.reject(err);
      this.inflight.clear();
      this.onDeath?.(err);
    };
    this.worker.on('error', (err) => die(new Error(`inference thread crashed: ${err.message}`)));
    this.worker.on('exit', (code) => die(new Error(`inference thread exited with code ${code}`)));
  }

  static async open(path: string, options: SessionOptions): Promise<SessionThread> {
    const t = new SessionThread();
    const reply = await new Promise<FromThread>((resolve, reject) => {
      t.worker.once('message', resolve);
      t.worker.once('error', reject);
      t.post({ type: 'load', path, options });
    });
    if (reply.type !== 'loaded') {
      await t.close();
      throw new Error(explainLoadError(reply.type === 'load_error' ? reply.message : 'unexpected reply', options));
    }
    t.inputs = reply.inputs;
    t.outputs = reply.outputs;
    return t;
  }

  get busy(): boolean {
    return this.inflight.size > 0;
  }

  /** Batches sent and not yet answered: the running one and those queued behind it. */
  get pending(): number {
    return this.inflight.size;
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  /** Runs one inference; the feeds' buffers are transferred to the thread (unusable after). */
  run(feeds: Record<string, RawTensor>): Promise<RunResult> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<RunResult>((resolve, reject) => {
      this.inflight.set(id, { resolve, reject });
      this.post(
        { type: 'run', id, feeds },
        Object.values(feeds).map((f) => f.data),
      );
    });
  }

  private post(msg: ToThread, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  async close(): Promise<void> {
    this.dead ??= new Error('inference thread closed');
    this.onDeath = undefined;
    await this.worker.terminate();
  }
}
