// Opens the checkpoint source of one published model from its base URI. Clients of the GCS
// API are shared per endpoint and project, so many models reuse one connection pool and token.
import { Storage } from '@google-cloud/storage';
import { GcsSource } from './gcs.ts';
import { LocalSource } from './local.ts';
import type { CheckpointSource, OpenSourceOptions } from './types.ts';
import { parseUri } from './uri.ts';

const clients = new Map<string, Storage>();

export function storageFor(opts: OpenSourceOptions): Storage {
  // STORAGE_EMULATOR_HOST means the emulator's origin (as for the Go and Python clients, and
  // fake-gcs-server's docs). The Node client reads it in its constructor as its base URL
  // *including* /storage/v1, so a bare origin gets 404 on every call: we take the origin from
  // it, pass it as apiEndpoint, and hide the variable from the client while constructing.
  const emulator = process.env.STORAGE_EMULATOR_HOST?.replace(/\/storage\/v1\/?$/, '').replace(/\/$/, '') || undefined;
  const endpoint = opts.gcsEndpoint ?? emulator;
  const id = `${endpoint ?? ''}\n${opts.projectId ?? ''}`;
  let s = clients.get(id);
  if (!s) {
    // With a custom apiEndpoint the client sends no credentials, which is what an emulator wants.
    const saved = process.env.STORAGE_EMULATOR_HOST;
    delete process.env.STORAGE_EMULATOR_HOST;
    try {
      s = new Storage({
        ...(endpoint ? { apiEndpoint: endpoint } : {}),
        ...(opts.projectId ? { projectId: opts.projectId } : {}),
      });
    } finally {
      if (saved !== undefined) process.env.STORAGE_EMULATOR_HOST = saved;
    }
    clients.set(id, s);
  }
  return s;
}

/** The source at `uri` (gs://bucket/prefix, file:///path or a path). Throws CheckpointError 'invalid_uri'. */
export function openSource(uri: string, opts: OpenSourceOptions = {}): CheckpointSource {
  const parsed = parseUri(uri);
  return parsed.kind === 'gcs'
    ? new GcsSource(storageFor(opts), parsed.bucket, parsed.prefix)
    : new LocalSource(parsed.path);
}
