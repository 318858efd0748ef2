// Messages between the worker's main thread and an inference thread (inference-thread.mjs).
// Tensor bytes travel as transferred ArrayBuffers: moved, not copied.
import type { OrtType } from '@alto/protocol';

export interface RawTensor {
  type: OrtType;
  dims: number[];
  data: ArrayBuffer;
}

export interface SessionOptions {
  executionProviders: string[];
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  /**
   * Whether intra-op threads spin while waiting for work (onnxruntime's
   * `session.intra_op.allow_spinning`). @default onnxruntime's own: true
   */
  intraOpSpinning?: boolean;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface IoMeta {
  name: string;
  /** onnxruntime type name, or 'non-tensor' for sequences and maps. */
  type: string;
  /** Numbers for static dims, strings (symbolic) or -1 for dynamic ones. */
  shape: (number | string)[];
}

export type ToThread =
  | { type: 'load'; path: string; options: SessionOptions }
  | { type: 'run'; id: number; feeds: Record<string, RawTensor> };

export type FromThread =
  | { type: 'loaded'; inputs: IoMeta[]; outputs: IoMeta[] }
  | { type: 'load_error'; message: string }
  | {
      type: 'result';
      id: number;
      outputs: Record<string, RawTensor>;
      ms: number;
      /** The feeds' buffers, handed back for reuse (input-buffers.ts). */
      inputs?: ArrayBuffer[];
    }
  | { type: 'error'; id: number; message: string };
