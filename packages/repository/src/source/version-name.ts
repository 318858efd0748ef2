import { CheckpointError } from './errors.ts';
import { VERSION_NAME } from './types.ts';

/** `version` when it is a folder name a source lists; a name with '/' or '..' could leave the base. */
export function versionFolder(base: string, version: string): string {
  if (!VERSION_NAME.test(version)) {
    throw new CheckpointError('invalid_uri', `${base}: version '${version}' is not a version folder name (1-128 of A-Z a-z 0-9 . _ -, not '.' or '..')`);
  }
  return version;
}
