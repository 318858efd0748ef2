// Which base URIs an operator lets publishers point workers at (ALTO_*_ROOTS in the apps).
// This check is lexical, after normalisation; for local paths callers use resolved.ts, which
// follows every symlink first (a link below a root may lead anywhere).
import { CheckpointError } from './errors.ts';
import { isUnder, parseUri } from './uri.ts';

/**
 * Throws CheckpointError 'uri_not_allowed' unless `uri` lies under one of `roots` (`..`
 * resolved; gs://b/p allows gs://b/p/x, not gs://b/p2; file:// and plain paths compare as
 * absolute paths). Empty roots allow nothing. An unparsable uri or root throws 'invalid_uri'.
 */
export function assertAllowedRoot(uri: string, roots: readonly string[]): void {
  const target = parseUri(uri);
  const parsed = roots.map((r) => parseUri(r));
  if (parsed.some((root) => isUnder(target, root))) return;
  const allowed = parsed.length === 0 ? 'none are configured' : parsed.map((r) => r.uri).join(', ');
  const shown = target.uri === uri ? `'${uri}'` : `'${uri}' (${target.uri})`;
  throw new CheckpointError(
    'uri_not_allowed',
    `checkpoint uri ${shown} is not under an allowed root; allowed roots: ${allowed}`,
  );
}
