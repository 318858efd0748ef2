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
export {
  DEFAULT_PAYLOAD_MAX_BYTES,
  PayloadStore,
  type ObjectStat,
  type PayloadStoreOptions,
} from './payloads/store.ts';
export { PAYLOAD_ERROR_CODES, PayloadError, type PayloadErrorCode } from './payloads/errors.ts';
export { PAYLOAD_ROOTS_SETTING, assertPayloadAllowed, joinObjectUri, parseObjectUri } from './payloads/uri.ts';
export { NPY_DESCR, NpyError, isNpy, readNpy, writeNpy, type NpyArray } from './payloads/npy.ts';
