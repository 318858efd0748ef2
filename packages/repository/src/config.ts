// Reads config.json files (model and version level) by the one model config schema,
// ModelConfigSchema of @alto/protocol.
import { ModelConfigSchema, type ModelConfig } from '@alto/protocol';
import { CONFIG_FILE } from './layout.ts';
import type { CheckpointSource } from './source/types.ts';

/** Parses config.json text; throws an Error naming `where` and each problem. */
export function parseModelConfig(json: string, where: string): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`${where}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const result = ModelConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${where}: ${problems.join('; ')}`);
  }
  return result.data;
}

/**
 * The config a version is served with: the model's config.json, then the version's own over
 * it field by field. The `version` pin is not part of it (it chose the version already).
 */
export async function readModelConfig(source: CheckpointSource, version: string): Promise<ModelConfig> {
  const [model, own] = await Promise.all([source.config(), source.config(version)]);
  const merged: ModelConfig = {
    ...(model === undefined ? {} : parseModelConfig(model, `${source.uri}/${CONFIG_FILE}`)),
    ...(own === undefined ? {} : parseModelConfig(own, `${source.uri}/${version}/${CONFIG_FILE}`)),
  };
  delete merged.version;
  return merged;
}
