// The two things a batch does with object stores: read a JSONL object line by line (streaming)
// and write one shard object whole, on gs:// (GCS or fake-gcs-server) or local files, and the
// check that a batch names only objects under ALTO_PAYLOAD_ROOTS. Not a general object store.
import { createReadStream } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { AltoError } from '@alto/protocol';
import { CheckpointError, assertAllowedResolved, parseUri, storageFor } from '@alto/repository';

export interface ObjectOptions {
  /** GCS endpoint (an emulator's origin). @default STORAGE_EMULATOR_HOST, else Google's */
  gcsEndpoint?: string;
}

const open = (uri: string, o: ObjectOptions) => {
  const p = parseUri(uri);
  if (p.kind === 'local') return { kind: 'local' as const, path: p.path };
  const file = storageFor(o.gcsEndpoint ? { gcsEndpoint: o.gcsEndpoint } : {})
    .bucket(p.bucket)
    .file(p.prefix);
  return { kind: 'gcs' as const, file };
};

/** Every line of the object with its 1-based number; blank lines included (as ''). */
export async function* readLines(uri: string, o: ObjectOptions = {}): AsyncGenerator<[number, string]> {
  const target = open(uri, o);
  const input: Readable = target.kind === 'local' ? createReadStream(target.path) : target.file.createReadStream();
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const text of lines) yield [++n, text];
  } finally {
    lines.close();
    input.destroy();
  }
}

/** Writes the object whole; a reader sees the old bytes or the new ones, never a part. */
export async function writeObject(uri: string, text: string, o: ObjectOptions = {}): Promise<void> {
  const target = open(uri, o);
  if (target.kind === 'gcs') {
    await target.file.save(text, { resumable: false, contentType: 'application/jsonl' });
    return;
  }
  await mkdir(dirname(target.path), { recursive: true });
  const tmp = `${target.path}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, text);
  await rename(tmp, target.path);
}

/** Whether the object exists (a local path: a regular file). */
export async function objectExists(uri: string, o: ObjectOptions = {}): Promise<boolean> {
  const target = open(uri, o);
  if (target.kind === 'gcs') return (await target.file.exists())[0];
  return stat(target.path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * The batch's `field` URI once checked against ALTO_PAYLOAD_ROOTS (local paths with every
 * symlink followed), normalised: gs://bucket/name or file:///real/path. Throws AltoError
 * invalid_input (not a URI) or uri_not_allowed (not under a root), naming the field, the URI
 * and the roots.
 */
export async function allowedPayloadUri(field: string, uri: string, roots: readonly string[]): Promise<string> {
  try {
    const resolved = await assertAllowedResolved(uri, roots);
    return parseUri(uri).kind === 'gcs' ? resolved : pathToFileURL(resolved).href;
  } catch (err) {
    if (!(err instanceof CheckpointError)) throw err;
    if (err.code === 'uri_not_allowed') {
      const allowed = roots.length === 0 ? 'none are configured' : roots.join(', ');
      throw new AltoError(
        'uri_not_allowed',
        `field '${field}': expected a URI under ALTO_PAYLOAD_ROOTS (${allowed}), got '${uri}'`,
      );
    }
    throw new AltoError(
      'invalid_input',
      `field '${field}': expected gs://bucket/name or file:///path, got '${uri}' (${err.message})`,
    );
  }
}
