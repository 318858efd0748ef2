export { type CheckpointStore, compareVersions } from './store/index.ts';
export { LocalStore } from './store/local.ts';
export { ModelConfigSchema, parseModelConfig, type ModelConfig } from './config.ts';
export { resolveModel, type ResolvedModel } from './resolve.ts';
export { openSource } from './source/index.ts';
export { assertAllowedRoot } from './source/allowed.ts';
export { CheckpointError, CHECKPOINT_ERROR_CODES, type CheckpointErrorCode } from './source/errors.ts';
export type { CheckpointSource, CheckpointVersion, OpenSourceOptions, ProgressFn } from './source/types.ts';
export { CheckpointCache, type CacheEvent, type CheckpointCacheOptions } from './cache.ts';
