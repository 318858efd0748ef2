// Parses and normalises base URIs: gs://bucket/prefix, file:///abs/path, or a plain
// (absolute or relative) path. Normalising is lexical: `..` and `//` are resolved without
// touching the store, so two spellings of one place compare equal.
import { posix, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointError } from './errors.ts';

export type ParsedUri =
  | { kind: 'gcs'; uri: string; bucket: string; /** '' or 'a/b', no leading or trailing slash */ prefix: string }
  | { kind: 'local'; uri: string; path: string };

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
// GCS bucket names: 3-222 chars of lowercase letters, digits, '-', '_', '.', starting and ending
// with a letter or digit.
const BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const EXPECTED = 'expected gs://bucket/prefix, file:///absolute/path or a filesystem path';

function invalid(input: string, why: string): CheckpointError {
  return new CheckpointError('invalid_uri', `checkpoint uri '${input}': ${why}`);
}

export function parseUri(input: string): ParsedUri {
  if (typeof input !== 'string' || input.length === 0) throw invalid(String(input), `empty; ${EXPECTED}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(input)) throw invalid(input, 'contains a control character');
  const scheme = SCHEME.exec(input)?.[1]?.toLowerCase();
  if (scheme === undefined) return local(input, resolve(input));
  if (scheme === 'file') {
    let path: string;
    try {
      path = fileURLToPath(input);
    } catch (err) {
      throw invalid(input, (err as Error).message);
    }
    return local(input, resolve(path));
  }
  if (scheme !== 'gs') throw invalid(input, `unsupported scheme '${scheme}://'; ${EXPECTED}`);
  const rest = input.slice('gs://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (bucket === '') throw invalid(input, 'no bucket name after gs://');
  if (!BUCKET.test(bucket)) {
    throw invalid(
      input,
      `bucket '${bucket}' is not a valid GCS bucket name (3-222 of a-z 0-9 . _ -, starting and ending with a letter or digit)`,
    );
  }
  const raw = slash < 0 ? '' : rest.slice(slash + 1);
  let prefix = raw === '' ? '' : posix.normalize(raw).replace(/^\/+|\/+$/g, '');
  if (prefix === '.') prefix = '';
  if (prefix === '..' || prefix.startsWith('../')) throw invalid(input, `'..' leads above the bucket root`);
  return { kind: 'gcs', uri: `gs://${bucket}${prefix ? `/${prefix}` : ''}`, bucket, prefix };
}

function local(input: string, path: string): ParsedUri {
  if (path.includes('\0')) throw invalid(input, 'contains a NUL byte');
  return { kind: 'local', uri: path, path };
}

/** Whether `inner` is `outer` or lies below it (both parsed). */
export function isUnder(inner: ParsedUri, outer: ParsedUri): boolean {
  if (inner.kind === 'gcs' && outer.kind === 'gcs') {
    if (inner.bucket !== outer.bucket) return false;
    return outer.prefix === '' || inner.prefix === outer.prefix || inner.prefix.startsWith(`${outer.prefix}/`);
  }
  if (inner.kind === 'local' && outer.kind === 'local') {
    const root = outer.path.endsWith(sep) ? outer.path : outer.path + sep;
    return inner.path === outer.path || inner.path.startsWith(root);
  }
  return false;
}
