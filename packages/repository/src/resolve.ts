// Picks what a worker serving a local repository on its own loads for one model: the highest
// complete version unless the model-level config.json pins another, and its merged config.
// A publisher decides the same things from its spec instead (apps/publisher).
import type { ModelConfig } from '@alto/protocol';
import { readModelConfig, parseModelConfig } from './config.ts';
import { CONFIG_FILE, MODEL_FILES } from './layout.ts';
import type { CheckpointSource, CheckpointVersion } from './source/types.ts';

/** What a worker loads: one version of a model, where its file is, and its config. */
export interface ResolvedModel {
  name: string;
  version: string;
  /** Versions listed in the model's catalog entry. */
  versions: string[];
  /** Local path of the model file. */
  path: string;
  config: ModelConfig;
}

export interface ChosenVersion {
  checkpoint: CheckpointVersion;
  /** Every complete version, ascending. */
  versions: string[];
  config: ModelConfig;
}

export async function chooseVersion(source: CheckpointSource, name: string): Promise<ChosenVersion> {
  const listed = await source.versions();
  if (listed.length === 0) {
    throw new Error(
      `model '${name}': no complete version under ${source.uri} (expected <version>/${MODEL_FILES.join(' or ')})`,
    );
  }
  const text = await source.config();
  const pinned = text === undefined ? undefined : parseModelConfig(text, `${source.uri}/${CONFIG_FILE}`).version;
  const versions = listed.map((v) => v.version);
  const checkpoint = pinned === undefined ? listed.at(-1)! : listed.find((v) => v.version === pinned);
  if (!checkpoint) {
    throw new Error(
      `model '${name}': config.json pins version '${pinned}', but the complete versions are ${versions.join(', ')}`,
    );
  }
  return { checkpoint, versions, config: await readModelConfig(source, checkpoint.version) };
}
