// Objects a request names by URI — input tensors read, outputs written — and any other
// object Alto reads or writes on a user's behalf (batch jobs' files): gs:// through the GCS
// client with the process's own credentials, file:// (or a path) on the local filesystem.
// Every access is confined to ALTO_PAYLOAD_ROOTS; a read is refused from the object's size
// (metadata, fstat) before a byte of it is downloaded. Not a cache: every read goes to the store.
import type { Storage } from '@google-cloud/storage';
import { storageFor } from '../source/index.ts';
import { PayloadError } from './errors.ts';
import { gcsRead, gcsStat, gcsWrite } from './gcs.ts';
import { localRead, localStat, localWrite } from './local.ts';
import { assertPayloadAllowed } from './uri.ts';

/** Largest object read by default: 1 GiB. */
export const DEFAULT_PAYLOAD_MAX_BYTES = 1024 ** 3;

export interface PayloadStoreOptions {
  /** ALTO_PAYLOAD_ROOTS: base URIs every object must lie under. Empty: nothing is allowed. */
  roots: readonly string[];
  /** Largest object read, in bytes. @default DEFAULT_PAYLOAD_MAX_BYTES (1 GiB) */
  maxBytes?: number;
  /**
   * GCS endpoint, e.g. http://127.0.0.1:4443 for fake-gcs-server (no credentials are sent then).
   * @default STORAGE_EMULATOR_HOST when set, else Google's endpoint
   */
  gcsEndpoint?: string;
  /** Google Cloud project of the client. @default the client's own discovery */
  projectId?: string;
}

export interface ObjectStat {
  /** The URI as given. */
  uri: string;
  size: number;
  /** Identity of the exact bytes: the GCS generation; local: `${mtimeMs}-${size}`. */
  generation: string;
}

export class PayloadStore {
  readonly roots: readonly string[];
  readonly maxBytes: number;
  private storage: Storage | undefined;

  constructor(private readonly o: PayloadStoreOptions) {
    this.roots = o.roots;
    this.maxBytes = o.maxBytes ?? DEFAULT_PAYLOAD_MAX_BYTES;
  }

  private gcs(): Storage {
    this.storage ??= storageFor({
      ...(this.o.gcsEndpoint ? { gcsEndpoint: this.o.gcsEndpoint } : {}),
      ...(this.o.projectId ? { projectId: this.o.projectId } : {}),
    });
    return this.storage;
  }

  /** Size and generation of the object at `uri`. Throws PayloadError (not_found, uri_not_allowed, ...). */
  async stat(uri: string): Promise<ObjectStat> {
    const o = assertPayloadAllowed(uri, this.roots);
    return o.kind === 'gcs' ? gcsStat(this.gcs(), o.bucket, o.name, uri) : localStat(o.path, this.roots);
  }

  /**
   * The bytes of the object at `uri`, refused with 'too_large' when its size exceeds
   * `maxBytes` (the store's by default), before anything is downloaded.
   */
  async read(uri: string, maxBytes = this.maxBytes): Promise<Buffer> {
    const o = assertPayloadAllowed(uri, this.roots);
    const tooLarge = (size: number) =>
      new PayloadError(
        'too_large',
        `${uri} is ${size} bytes, more than the ${maxBytes} allowed (ALTO_PAYLOAD_MAX_BYTES)`,
      );
    if (o.kind === 'local') {
      const [stat, bytes] = await localRead(o.path, this.roots, maxBytes);
      if (stat.size > maxBytes) throw tooLarge(stat.size);
      return bytes;
    }
    const stat = await gcsStat(this.gcs(), o.bucket, o.name, uri);
    if (stat.size > maxBytes) throw tooLarge(stat.size);
    return gcsRead(this.gcs(), o.bucket, o.name, stat);
  }

  /** Writes `bytes` as the whole object at `uri` (replacing one there). */
  async write(uri: string, bytes: Uint8Array): Promise<void> {
    const o = assertPayloadAllowed(uri, this.roots);
    if (o.kind === 'gcs') await gcsWrite(this.gcs(), o.bucket, o.name, uri, bytes);
    else await localWrite(o.path, this.roots, bytes);
  }
}
