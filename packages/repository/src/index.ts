export {
  compareVersions,
  completeModelFile,
  MODEL_FILES,
  COMPANION_FILES,
  formatOf,
  type ModelFormat,
  CONFIG_FILE,
  WRITING_MARKER,
  type ModelFile,
} from './layout.ts';
export { parseModelConfig, readModelConfig } from './config.ts';
export { chooseVersion, type ChosenVersion, type ResolvedModel } from './resolve.ts';
export { listModelFolders, modelFolder, type ModelFolder } from './model-folders.ts';
export { openSource, storageFor } from './source/index.ts';
export { isUnder, parseUri, type ParsedUri } from './source/uri.ts';
export { assertAllowedRoot } from './source/allowed.ts';
export { assertAllowedResolved, confineLocalFile, realPathOf } from './source/resolved.ts';
export { CheckpointError, CHECKPOINT_ERROR_CODES, type CheckpointErrorCode } from './source/errors.ts';
export type { CheckpointSource, CheckpointVersion, OpenSourceOptions, ProgressFn } from './source/types.ts';
export { checkpointBytes } from './source/types.ts';
export { CheckpointCache, type CacheEvent, type CheckpointCacheOptions } from './cache.ts';
