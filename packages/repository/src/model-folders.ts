// A local repository of models: a directory (or file:// URI) with one folder per model, each
// folder the base URI of that model's checkpoints. What ALTO_MODEL_REPOSITORY and
// ALTO_PUBLISH_ON_START point at; gs:// repositories are published model by model instead.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_NAME } from '@alto/protocol';
import { CheckpointError } from './source/errors.ts';
import { parseUri } from './source/uri.ts';

export interface ModelFolder {
  name: string;
  /** Absolute path: the model's base URI. */
  uri: string;
}

/** The model folders of a local repository (names that are model names), by name. */
export async function listModelFolders(repository: string): Promise<ModelFolder[]> {
  const root = localRoot(repository);
  const entries = await readdir(root, { withFileTypes: true }).catch((err: unknown) => {
    throw new CheckpointError('not_found', `model repository ${root}: ${(err as Error).message}`, { cause: err });
  });
  return entries
    .filter((e) => e.isDirectory() && MODEL_NAME.test(e.name))
    .map((e) => ({ name: e.name, uri: join(root, e.name) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The folder of model `name` in a local repository, whether or not it exists. */
export function modelFolder(repository: string, name: string): ModelFolder {
  if (!MODEL_NAME.test(name))
    throw new CheckpointError('invalid_uri', `model '${name}' in ${repository}: not a model name`);
  return { name, uri: join(localRoot(repository), name) };
}

/** The absolute path of a local repository; a gs:// URI is refused (invalid_uri). */
export function localRoot(repository: string): string {
  const parsed = parseUri(repository);
  if (parsed.kind !== 'local')
    throw new CheckpointError(
      'invalid_uri',
      `model repository '${repository}': expected a local directory or file:// URI`,
    );
  return parsed.path;
}
