// Object URIs of payloads (gs://bucket/name, file:///path or a plain path) and the
// ALTO_PAYLOAD_ROOTS check. Lexical here, after normalisation; local paths are checked again
// on what they resolve to when they are opened (local.ts).
import { CheckpointError } from '../source/errors.ts';
import { isUnder, parseUri, type ParsedUri } from '../source/uri.ts';
import { PayloadError } from './errors.ts';

/** The setting that lists where payloads may be; every refusal names it. */
export const PAYLOAD_ROOTS_SETTING = 'ALTO_PAYLOAD_ROOTS';

export type ObjectUri =
  { kind: 'gcs'; uri: string; bucket: string; name: string } | { kind: 'local'; uri: string; path: string };

/** Parses an object URI; throws PayloadError 'invalid_uri' naming what is wrong. */
export function parseObjectUri(uri: string): ObjectUri {
  let p: ParsedUri;
  try {
    p = parseUri(uri);
  } catch (err) {
    if (!(err instanceof CheckpointError)) throw err;
    throw new PayloadError('invalid_uri', err.message.replace(/^checkpoint uri/, 'uri'), { cause: err });
  }
  if (p.kind === 'local') return p;
  if (p.prefix === '') throw new PayloadError('invalid_uri', `uri '${uri}': names a bucket, not an object in it`);
  return { kind: 'gcs', uri: p.uri, bucket: p.bucket, name: p.prefix };
}

/** The roots as parsed URIs; a malformed root is invalid_uri naming the setting. */
export function parseRoots(roots: readonly string[]): ParsedUri[] {
  return roots.map((r) => {
    try {
      return parseUri(r);
    } catch (err) {
      throw new PayloadError('invalid_uri', `${PAYLOAD_ROOTS_SETTING}: ${(err as Error).message}`, { cause: err });
    }
  });
}

export const rootsText = (roots: readonly { uri: string }[]): string =>
  roots.length === 0
    ? `${PAYLOAD_ROOTS_SETTING} is empty`
    : `${PAYLOAD_ROOTS_SETTING}: ${roots.map((r) => r.uri).join(', ')}`;

/**
 * Throws PayloadError 'uri_not_allowed' unless `uri` lies under one of `roots` (`..` resolved;
 * gs://b/p allows gs://b/p/x, not gs://b/p2). The message names the URI, ALTO_PAYLOAD_ROOTS and
 * its roots. Returns the parsed URI.
 */
export function assertPayloadAllowed(uri: string, roots: readonly string[]): ObjectUri {
  const target = parseObjectUri(uri);
  const parsed = parseRoots(roots);
  const asParsed: ParsedUri =
    target.kind === 'gcs' ? { kind: 'gcs', uri: target.uri, bucket: target.bucket, prefix: target.name } : target;
  if (parsed.some((root) => isUnder(asParsed, root))) return target;
  const shown = target.uri === uri ? `'${uri}'` : `'${uri}' (${target.uri})`;
  throw new PayloadError('uri_not_allowed', `uri ${shown} is not under an allowed payload root (${rootsText(parsed)})`);
}

/** `prefix` (a folder: gs://b/out/ or /srv/out) joined with a relative object name. */
export function joinObjectUri(prefix: string, name: string): string {
  return `${prefix.replace(/\/+$/, '')}/${name}`;
}
