// The layout of a published model, and the one rule for which of its version folders count:
//   <base>/config.json              optional, model level
//   <base>/<version>/<model file>   the checkpoint (one of MODEL_FILES)
//   <base>/<version>/params.*       model.jax only: weights passed as arguments (optional)
//   <base>/<version>/<data file>    model.onnx only: external data its initializers reference
//                                   (onnx-external.ts); the version is complete only with all
//   <base>/<version>/config.json    optional, version level
//   <base>/<version>/_WRITING       present while a job is still writing the version
// Pure functions over names: each source lists its store and asks these.
import { VERSION_NAME, VERSION_NAME_RULE } from '@alto/protocol';
import { CheckpointError } from './source/errors.ts';

/**
 * Checkpoint files a version folder may hold, one per model format. A version with none of
 * them is not complete. A format for another executor is one more entry here.
 */
export const MODEL_FILES = ['model.onnx', 'model.jax', 'model.sim'] as const;
export type ModelFile = (typeof MODEL_FILES)[number];

/**
 * The executor formats, by model file: onnxruntime, the XLA runtime (a `jax.export` export),
 * or the simulated accelerator (model.sim, for tests and benchmarks only).
 */
export type ModelFormat = 'onnx' | 'xla' | 'sim';
export const FORMAT_OF: Record<ModelFile, ModelFormat> = {
  'model.onnx': 'onnx',
  'model.jax': 'xla',
  'model.sim': 'sim',
};

/**
 * Optional files served with a model file from the same version folder: an XLA export's
 * weights, when they are not embedded in it (at most one of these is read).
 */
export const COMPANION_FILES: Record<ModelFile, readonly string[]> = {
  'model.onnx': [],
  'model.jax': ['params.safetensors', 'params.npz'],
  'model.sim': [],
};

/**
 * The file a uri names within a version folder: a model file or a companion of one. Sources
 * download only these.
 */
export function checkpointFileOf(uri: string): string {
  const name = uri.slice(uri.lastIndexOf('/') + 1);
  if (Object.values(COMPANION_FILES).some((names) => names.includes(name))) return name;
  return modelFileOf(uri);
}

/** The format of a checkpoint, from its model file's uri or path. */
export const formatOf = (uri: string): ModelFormat => FORMAT_OF[modelFileOf(uri)];

export const CONFIG_FILE = 'config.json';
export const WRITING_MARKER = '_WRITING';

/**
 * The completeness rule: the model file of a version folder holding `names` (the file names
 * directly in it), or undefined while the folder is not a complete version: it has no model
 * file, or it holds a `_WRITING` marker.
 */
export function completeModelFile(names: Iterable<string>): ModelFile | undefined {
  const present = new Set(names);
  if (present.has(WRITING_MARKER)) return undefined;
  return MODEL_FILES.find((f) => present.has(f));
}

/** The model file a listed version's uri names (its last path segment). */
export function modelFileOf(uri: string): ModelFile {
  const name = uri.slice(uri.lastIndexOf('/') + 1);
  const file = MODEL_FILES.find((f) => f === name);
  if (!file)
    throw new CheckpointError(
      'invalid_uri',
      `${uri}: not a checkpoint file (expected one of ${MODEL_FILES.join(', ')})`,
    );
  return file;
}

/** Whether a folder name is a version name (VERSION_NAME); other folders are not versions. */
export const isVersionName = (name: string): boolean => VERSION_NAME.test(name);

/** `version` when it is a version name; a name with '/' or '..' could leave the base. */
export function versionFolder(base: string, version: string): string {
  if (!isVersionName(version))
    throw new CheckpointError(
      'invalid_uri',
      `${base}: version '${version}' is not a version name (${VERSION_NAME_RULE})`,
    );
  return version;
}

/** Version order: numeric names first, by value (2 < 10 < 100), then the others by name. */
export function compareVersions(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return Number(a) - Number(b);
  if (na !== nb) return na ? -1 : 1;
  return a.localeCompare(b);
}
