// Allowed roots checked on what a local path resolves to, not on its spelling: every symlink
// of every component followed (realpath) before comparing, at publish time and again when a
// worker opens the files, since a link can change in between. gs:// URIs have no links and
// keep the lexical check of allowed.ts.
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { assertAllowedRoot } from './allowed.ts';
import { CheckpointError } from './errors.ts';
import { isUnder, parseUri, type ParsedUri } from './uri.ts';

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

/**
 * The real path of `path`: every symlink followed. A path that does not exist (yet) resolves
 * its deepest existing ancestor and keeps the rest as spelled, so a model folder made after
 * publishing is still checked against where its parent really is.
 */
export async function realPathOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    const c = code(err);
    if (c !== 'ENOENT' && c !== 'ENOTDIR') throw err;
    const parent = dirname(path);
    if (parent === path) return path;
    return join(await realPathOf(parent), basename(path));
  }
}

async function resolvedRoots(roots: readonly string[]): Promise<ParsedUri[]> {
  return Promise.all(
    roots.map(async (r) => {
      const p = parseUri(r);
      if (p.kind !== 'local') return p;
      const real = await realPathOf(p.path);
      return { kind: 'local' as const, uri: real, path: real };
    }),
  );
}

function refuse(uri: string, resolved: string, roots: readonly ParsedUri[]): CheckpointError {
  const allowed = roots.length === 0 ? 'none are configured' : roots.map((r) => r.uri).join(', ');
  const shown = resolved === uri ? `'${uri}'` : `'${uri}' (resolves to ${resolved})`;
  return new CheckpointError(
    'uri_not_allowed',
    `checkpoint uri ${shown} is not under an allowed root; allowed roots (resolved): ${allowed}`,
  );
}

/**
 * Throws CheckpointError 'uri_not_allowed' unless `uri` lies under one of `roots` once every
 * symlink of both is followed; the message names the resolved path. gs:// URIs are checked
 * lexically (assertAllowedRoot). Returns the resolved path (or the normalised gs:// URI).
 */
export async function assertAllowedResolved(uri: string, roots: readonly string[]): Promise<string> {
  const target = parseUri(uri);
  if (target.kind === 'gcs') {
    assertAllowedRoot(uri, roots);
    return target.uri;
  }
  const real = await realPathOf(target.path);
  const parsedRoots = await resolvedRoots(roots);
  const resolved: ParsedUri = { kind: 'local', uri: real, path: real };
  if (parsedRoots.some((root) => isUnder(resolved, root))) return real;
  throw refuse(uri, real, parsedRoots);
}

/**
 * Confines a local file a worker is about to read: resolves it, checks the real path against
 * `roots`, then opens that real path with O_NOFOLLOW and checks it is the file resolved
 * (same device and inode), so a link swapped between the check and the open is refused.
 * Returns the real path, which the caller must load instead of the spelling it was given.
 */
export async function confineLocalFile(path: string, roots: readonly string[]): Promise<string> {
  const real = await assertAllowedResolved(path, roots);
  let fh;
  try {
    fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if (code(err) === 'ELOOP') {
      throw new CheckpointError('uri_not_allowed', `checkpoint file '${path}' (${real}) was replaced by a symlink`);
    }
    if (code(err) === 'ENOENT') throw new CheckpointError('not_found', `${real} does not exist`, { cause: err });
    throw new CheckpointError('storage_error', `${real}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const [opened, named] = await Promise.all([fh.stat(), stat(real)]);
    if (opened.dev !== named.dev || opened.ino !== named.ino) {
      throw new CheckpointError('uri_not_allowed', `checkpoint file '${path}' (${real}) changed while it was checked`);
    }
    const again = await realPathOf(path);
    if (again !== real) {
      throw new CheckpointError(
        'uri_not_allowed',
        `checkpoint file '${path}' changed while it was checked: it resolved to ${real}, now to ${again}`,
      );
    }
  } finally {
    await fh.close();
  }
  return real;
}
