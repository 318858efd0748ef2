// Opens the checkpoint source of one published model from its base URI. Clients of the GCS
// API are shared per endpoint and project, so many models reuse one connection pool and token.
import { Storage } from '@google-cloud/storage';
import { GcsSource } from './gcs.ts';
import { LocalSource } from './local.ts';
import type { CheckpointSource, OpenSourceOptions } from './types.ts';
import { parseUri } from './uri.ts';

const clients = new Map<string, Storage>();

function storageFor(opts: OpenSourceOptions): Storage {
  const id = `${opts.gcsEndpoint ?? ''}\n${opts.projectId ?? ''}`;
  let s = clients.get(id);
  if (!s) {
    // With a custom apiEndpoint (or STORAGE_EMULATOR_HOST, which the client reads itself) the
    // client sends no credentials, which is what an emulator wants.
    s = new Storage({ ...(opts.gcsEndpoint ? { apiEndpoint: opts.gcsEndpoint } : {}), ...(opts.projectId ? { projectId: opts.projectId } : {}) });
    clients.set(id, s);
  }
  return s;
}

/** The source at `uri` (gs://bucket/prefix, file:///path or a path). Throws CheckpointError 'invalid_uri'. */
export function openSource(uri: string, opts: OpenSourceOptions = {}): CheckpointSource {
  const parsed = parseUri(uri);
  return parsed.kind === 'gcs' ? new GcsSource(storageFor(opts), parsed.bucket, parsed.prefix) : new LocalSource(parsed.path);
}
