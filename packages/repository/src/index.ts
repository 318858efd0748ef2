export { type CheckpointStore, compareVersions } from './store/index.ts';
export { LocalStore } from './store/local.ts';
export { ModelConfigSchema, parseModelConfig, type ModelConfig } from './config.ts';
export { resolveModel, type ResolvedModel } from './resolve.ts';
