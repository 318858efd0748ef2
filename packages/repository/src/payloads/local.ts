// Payload files on a local (or mounted) filesystem. The allowed roots are checked on the real
// path, every symlink followed, and the file is opened with O_NOFOLLOW at that path, so a link
// under a root cannot lead a request out of it. Writes go to a temporary file renamed into place.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isUnder } from '../source/uri.ts';
import { realPathOf } from '../source/resolved.ts';
import { PayloadError } from './errors.ts';
import { parseRoots, rootsText } from './uri.ts';
import type { ObjectStat } from './store.ts';

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

function fsError(path: string, err: unknown): PayloadError {
  if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') {
    return new PayloadError('not_found', `${path} does not exist`, { cause: err });
  }
  if (code(err) === 'ELOOP') return new PayloadError('uri_not_allowed', `${path} was replaced by a symlink`);
  return new PayloadError('storage_error', `${path}: ${(err as Error).message}`, { cause: err });
}

/** The real path of `path` once it is checked to resolve under one of `roots`. */
export async function confinedPath(path: string, roots: readonly string[]): Promise<string> {
  const real = await realPathOf(path);
  const resolved = await Promise.all(
    parseRoots(roots).map(async (r) =>
      r.kind === 'local' ? { ...r, uri: await realPathOf(r.path), path: await realPathOf(r.path) } : r,
    ),
  );
  if (resolved.some((r) => isUnder({ kind: 'local', uri: real, path: real }, r))) return real;
  const shown = real === path ? `'${path}'` : `'${path}' (resolves to ${real})`;
  throw new PayloadError(
    'uri_not_allowed',
    `uri ${shown} is not under an allowed payload root (${rootsText(resolved)})`,
  );
}

/** Reads a whole file after checking its size against `maxBytes` (from fstat, before reading). */
export async function localRead(
  path: string,
  roots: readonly string[],
  maxBytes: number,
): Promise<[ObjectStat, Buffer]> {
  const real = await confinedPath(path, roots);
  const fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW).catch((err: unknown) => {
    throw fsError(path, err);
  });
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new PayloadError('not_found', `${path} is not a regular file`);
    const stat = { uri: path, size: st.size, generation: `${st.mtimeMs}-${st.size}` };
    if (st.size > maxBytes) return [stat, Buffer.alloc(0)];
    const bytes = await fh.readFile();
    return [stat, bytes];
  } catch (err) {
    throw err instanceof PayloadError ? err : fsError(path, err);
  } finally {
    await fh.close();
  }
}

export async function localStat(path: string, roots: readonly string[]): Promise<ObjectStat> {
  const [stat] = await localRead(path, roots, -1);
  return stat;
}

/** Writes `bytes` to `path` (its folders made as needed), whole or not at all. */
export async function localWrite(path: string, roots: readonly string[], bytes: Uint8Array): Promise<void> {
  const real = await confinedPath(path, roots);
  const tmp = `${real}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await mkdir(dirname(real), { recursive: true });
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      await fh.writeFile(bytes);
    } finally {
      await fh.close();
    }
    await rename(tmp, real);
  } catch (err) {
    await rm(tmp, { force: true });
    throw fsError(path, err);
  }
}
