// Picks what to serve for a model: its config and the version (highest complete one unless
// config.json pins another).
import { parseModelConfig, type ModelConfig } from './config.ts';
import type { CheckpointStore } from './store/index.ts';

export interface ResolvedModel {
  name: string;
  version: string;
  versions: string[];
  path: string;
  config: ModelConfig;
}

export async function resolveModel(store: CheckpointStore, name: string): Promise<ResolvedModel> {
  const versions = await store.versions(name);
  if (versions.length === 0) {
    throw new Error(`model '${name}': no complete version under ${store.describe(name)} (expected <version>/model.onnx)`);
  }
  const text = await store.config(name);
  const config = text === undefined ? {} : parseModelConfig(text, store.describe(name) + '/config.json');
  const version = config.version ?? versions[versions.length - 1]!;
  if (!versions.includes(version)) {
    throw new Error(`model '${name}': config.json pins version '${version}', but the complete versions are ${versions.join(', ')}`);
  }
  return { name, version, versions, path: await store.localPath(name, version), config };
}
