// The two things a batch does with object stores: read a JSONL object line by line (streaming,
// which the payload store's whole-object reads are not made for) and write one shard object
// whole (the payload store's write: confined to ALTO_PAYLOAD_ROOTS on what a local path
// resolves to, whole or not at all), on gs:// (GCS or fake-gcs-server) or local files; and the
// check that a batch names only objects under ALTO_PAYLOAD_ROOTS. Not a general object store.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { AltoError } from '@alto/protocol';
import {
  CheckpointError,
  PayloadError,
  PayloadStore,
  assertAllowedResolved,
  assertPayloadAllowed,
  parseUri,
  storageFor,
} from '@alto/repository';

export interface ObjectOptions {
  /** ALTO_PAYLOAD_ROOTS: every object read or written must lie under one. @default none: all refused */
  roots?: readonly string[];
  /** GCS endpoint (an emulator's origin). @default STORAGE_EMULATOR_HOST, else Google's */
  gcsEndpoint?: string;
}

const stores = new WeakMap<ObjectOptions, PayloadStore>();
const storeOf = (o: ObjectOptions): PayloadStore => {
  let s = stores.get(o);
  if (!s)
    stores.set(
      o,
      (s = new PayloadStore({ roots: o.roots ?? [], ...(o.gcsEndpoint ? { gcsEndpoint: o.gcsEndpoint } : {}) })),
    );
  return s;
};

/** Every line of the object with its 1-based number; blank lines included (as ''). Checked against the roots first. */
export async function* readLines(uri: string, o: ObjectOptions = {}): AsyncGenerator<[number, string]> {
  // Again at every read, as spelled and (local paths) on what they resolve to now: a link
  // below a root may have changed since the batch was created.
  assertPayloadAllowed(uri, o.roots ?? []);
  const resolved = await assertAllowedResolved(uri, o.roots ?? []);
  const p = parseUri(uri);
  const input: Readable =
    p.kind === 'local'
      ? createReadStream(resolved)
      : storageFor(o.gcsEndpoint ? { gcsEndpoint: o.gcsEndpoint } : {})
          .bucket(p.bucket)
          .file(p.prefix)
          .createReadStream();
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
  await storeOf(o).write(uri, Buffer.from(text));
}

/** Whether the object exists (a local path: a regular file). */
export async function objectExists(uri: string, o: ObjectOptions = {}): Promise<boolean> {
  try {
    await storeOf(o).stat(uri);
    return true;
  } catch (err) {
    if (err instanceof PayloadError && err.code === 'not_found') return false;
    throw err;
  }
}

/**
 * The batch's `field` URI once checked against ALTO_PAYLOAD_ROOTS — as spelled and, for local
 * paths, on what it resolves to with every symlink followed (each access checks both again) —
 * normalised: gs://bucket/name or file:///path. Throws AltoError invalid_input (not a URI) or
 * uri_not_allowed (not under a root), naming the field, the URI and the roots.
 */
export async function allowedPayloadUri(field: string, uri: string, roots: readonly string[]): Promise<string> {
  try {
    assertPayloadAllowed(uri, roots);
    await assertAllowedResolved(uri, roots);
    const p = parseUri(uri);
    return p.kind === 'gcs' ? p.uri : pathToFileURL(p.path).href;
  } catch (err) {
    const code = err instanceof CheckpointError || err instanceof PayloadError ? err.code : undefined;
    if (code === undefined) throw err;
    if (code === 'uri_not_allowed') {
      const allowed = roots.length === 0 ? 'none are configured' : roots.join(', ');
      throw new AltoError(
        'uri_not_allowed',
        `field '${field}': expected a URI under ALTO_PAYLOAD_ROOTS (${allowed}), got '${uri}'`,
      );
    }
    throw new AltoError(
      'invalid_input',
      `field '${field}': expected gs://bucket/name or file:///path, got '${uri}' (${(err as Error).message})`,
    );
  }
}
