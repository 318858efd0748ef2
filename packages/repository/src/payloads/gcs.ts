// Payload objects in Google Cloud Storage through the official client, with the worker's own
// credentials (Application Default Credentials). A read checks the object's size from its
// metadata before downloading, and downloads that generation only.
import type { Storage } from '@google-cloud/storage';
import { PayloadError } from './errors.ts';
import type { ObjectStat } from './store.ts';

const statusOf = (err: unknown): number | undefined => {
  const e = err as { code?: unknown; response?: { status?: unknown } };
  const s = typeof e.code === 'number' ? e.code : e.response?.status;
  return typeof s === 'number' ? s : undefined;
};

function gcsError(uri: string, err: unknown): PayloadError {
  const status = statusOf(err);
  if (status === 404) return new PayloadError('not_found', `${uri} does not exist`, { cause: err });
  const msg = (err as Error).message?.trim() || String(err);
  return new PayloadError('storage_error', `${uri}: ${status ? `HTTP ${status}: ` : ''}${msg}`, { cause: err });
}

export async function gcsStat(storage: Storage, bucket: string, name: string, uri: string): Promise<ObjectStat> {
  try {
    const [meta] = await storage.bucket(bucket).file(name).getMetadata();
    return { uri, size: Number(meta.size), generation: String(meta.generation) };
  } catch (err) {
    throw gcsError(uri, err);
  }
}

export async function gcsRead(storage: Storage, bucket: string, name: string, s: ObjectStat): Promise<Buffer> {
  try {
    const [bytes] = await storage.bucket(bucket).file(name, { generation: s.generation }).download();
    return bytes;
  } catch (err) {
    throw gcsError(`${s.uri}#${s.generation}`, err);
  }
}

export async function gcsWrite(storage: Storage, bucket: string, name: string, uri: string, bytes: Uint8Array) {
  try {
    await storage
      .bucket(bucket)
      .file(name)
      .save(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
        resumable: false,
        contentType: 'application/octet-stream',
      });
  } catch (err) {
    throw gcsError(uri, err);
  }
}
