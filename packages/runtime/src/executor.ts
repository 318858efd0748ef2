// The execution backend a worker batches onto: a loaded model that computes whole batches,
// some number at a time. onnxruntime on worker threads is one (onnx-executor.ts); another
// backend (an accelerator runtime behind a socket) implements the same five things.
import type { RunResult } from './session-thread.ts';
import type { IoMeta, RawTensor } from './thread-protocol.ts';

export interface Executor {
  /** The model's inputs, as the loaded model declares them. */
  readonly inputs: IoMeta[];
  /** The model's outputs, as the loaded model declares them. */
  readonly outputs: IoMeta[];
  /**
   * How many batches it computes at once (inference threads, device streams). The worker
   * keeps one slot pool of this size per executor and hands `run` at most this many
   * batches at a time, whichever streams they come from.
   */
  readonly slots: number;
  /**
   * Full batches it accepts beyond `slots`, queued behind the running ones, so a compute
   * unit starts the next batch the moment one ends instead of waiting for the worker's
   * main thread to assemble and send it. The slot pool lends this many more leases. @default 0
   */
  readonly ahead?: number;
  /** Batches computing now. */
  readonly busyCount: number;
  /**
   * Computes one batch: dim 0 of every feed is the batch. The feeds' buffers may be
   * transferred (unusable after). Rejects when the batch failed; a backend that lost a
   * compute unit replaces it and the next run waits for it.
   */
  run(feeds: Record<string, RawTensor>): Promise<RunResult>;
  /** Releases the model; pending runs settle (resolved or rejected). */
  close(): Promise<void>;
}
