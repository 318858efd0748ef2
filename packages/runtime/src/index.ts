export type { Executor } from './executor.ts';
export { OnnxExecutor, type OnnxExecutorOptions } from './onnx-executor.ts';
export { type RunResult } from './session-thread.ts';
export { planBatches, concatInputs, splitOutputs, rowsOf, type BatchItem } from './batch.ts';
export { toSpec, canBatch } from './metadata.ts';
export type { RawTensor, SessionOptions, IoMeta } from './thread-protocol.ts';
export { runIsolating, type Settled } from './isolate.ts';
export {
  prepareOnnxRuntime,
  ProviderUnavailableError,
  type OnnxRuntimeBuild,
  type PrepareOnnxRuntimeOptions,
} from './providers.ts';
export { XlaExecutor, type XlaExecutorOptions } from './xla-executor.ts';
export { XlaRuntime, type XlaRuntimeOptions, type XlaRuntimeEvent, type XlaModelMeta } from './xla/runtime.ts';
export { XlaRuntimeError, RuntimeGoneError } from './xla/connection.ts';
export { SimExecutor, parseSimModel, type SimModel, type SimExecutorOptions } from './sim-executor.ts';
export { PipelineExecutor, type PipelineExecutorOptions } from './pipeline/pipeline-executor.ts';
export { loadTokenizer, type TextTokenizer, type TokenizedText } from './pipeline/tokenizer.ts';
export { pool, normalizeRows, type PoolingMode } from './pipeline/pooling.ts';
export { lengthGroups } from './pipeline/length-groups.ts';
