// The XLA executor: one model version loaded in a supervised XLA runtime process (xla/runtime.ts).
// `run` sends one batch over its own connection; the runtime pads it to a bucket. Metadata and
// compile times come from the load reply. Batching policy is the worker's scheduler's.
import { DATATYPE_INFO, datatypeOfOrt, isDatatype } from '@alto/protocol';
import type { Executor } from './executor.ts';
import type { RunResult } from './session-thread.ts';
import type { IoMeta, RawTensor } from './thread-protocol.ts';
import { RuntimeGoneError, type XlaConnection } from './xla/connection.ts';
import type { FrameTensor } from './xla/frame.ts';
import type { XlaLoadSpec, XlaModelMeta, XlaRuntime } from './xla/runtime.ts';

export interface XlaExecutorOptions extends XlaLoadSpec {
  runtime: XlaRuntime;
  /** Batches sent at once, each on its own connection. @default 1 */
  slots?: number;
  /**
   * Told when the runtime died under a batch. The batch runs once more on the restarted
   * runtime (so a runtime killed from outside costs no request); a second death rejects it,
   * and the worker's isolation retries its halves as after an inference-thread crash.
   */
  onRuntimeDeath?: (err: Error) => void;
}

const toIo = (t: { name: string; datatype: string; shape: number[] }): IoMeta => ({
  name: t.name,
  // BYTES has no fixed element size, which the XLA runtime's frames need: left unmapped, refused as unservable.
  type: isDatatype(t.datatype) && t.datatype !== 'BYTES' ? DATATYPE_INFO[t.datatype].ort : t.datatype,
  shape: t.shape,
});

export class XlaExecutor implements Executor {
  readonly slots: number;
  readonly inputs: IoMeta[];
  readonly outputs: IoMeta[];
  private busy = 0;
  private closed = false;
  private readonly idle: XlaConnection[] = [];

  private constructor(
    private readonly options: XlaExecutorOptions,
    /** The load reply: buckets, compile_ms per bucket, weights, memory. */
    readonly meta: XlaModelMeta,
  ) {
    this.slots = Math.max(1, options.slots ?? 1);
    this.inputs = meta.inputs.map(toIo);
    this.outputs = meta.outputs.map(toIo);
  }

  /** Starts the runtime if needed and loads the model; resolves once every bucket compiled. */
  static async create(options: XlaExecutorOptions): Promise<XlaExecutor> {
    const meta = await options.runtime.load(options);
    return new XlaExecutor(options, meta);
  }

  get busyCount(): number {
    return this.busy;
  }

  async run(feeds: Record<string, RawTensor>): Promise<RunResult> {
    if (this.closed) throw new Error(`model '${this.options.model}' is unloaded`);
    const tensors: FrameTensor[] = Object.entries(feeds).map(([name, t]) => {
      const dtype = datatypeOfOrt(t.type);
      if (!dtype) throw new Error(`input '${name}': type ${t.type} has no XLA runtime datatype`);
      return { name, dtype, shape: t.dims, data: new Uint8Array(t.data) };
    });
    this.busy++;
    try {
      try {
        return await this.runOnce(tensors);
      } catch (err) {
        if (!(err instanceof RuntimeGoneError) || this.closed) throw err;
        this.options.onRuntimeDeath?.(err);
        await this.options.runtime.recover();
        return await this.runOnce(tensors);
      }
    } finally {
      this.busy--;
    }
  }

  private async runOnce(tensors: FrameTensor[]): Promise<RunResult> {
    let conn = this.idle.pop();
    // Connections to a runtime that died since are closed: drop them.
    while (conn?.closed) conn = this.idle.pop();
    conn ??= await this.options.runtime.connect();
    let reply;
    try {
      reply = await conn.request({ op: 'run', model: this.options.model, version: this.options.version }, tensors);
    } catch (err) {
      if (conn.closed) throw err;
      this.idle.push(conn);
      throw err;
    }
    if (this.closed) conn.close();
    else this.idle.push(conn);
    const outputs: Record<string, RawTensor> = {};
    for (const t of reply.tensors) {
      // A copy: aligned, and not holding the whole reply frame alive.
      outputs[t.name] = { type: DATATYPE_INFO[t.dtype].ort, dims: t.shape, data: t.data.slice().buffer };
    }
    return { outputs, ms: Number(reply.header.run_ms ?? 0) };
  }

  /** Unloads the model from the runtime; the runtime itself stays for other models. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.idle.splice(0)) c.close();
    await this.options.runtime.unload(this.options.model, this.options.version).catch(() => {});
  }
}
