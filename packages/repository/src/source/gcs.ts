// A checkpoint source in Google Cloud Storage (gs://bucket/prefix), through the official
// client. Versions are the "folders" (prefixes) under the base; a download is pinned to the
// generation that was listed, so a version rewritten meanwhile fails instead of mixing bytes.
import { CRC32C, type Bucket, type File, type Storage } from '@google-cloud/storage';
import {
  COMPANION_FILES,
  CONFIG_FILE,
  checkpointFileOf,
  compareVersions,
  completeModelFile,
  isVersionName,
  versionFolder,
} from '../layout.ts';
import { externalDataFile, externalDataFiles } from '../onnx-external.ts';
import { pipelineFiles } from '../pipeline-files.ts';
import { CheckpointError } from './errors.ts';
import type { CheckpointFile, CheckpointSource, CheckpointVersion, ProgressFn } from './types.ts';
import { writeVerified } from './verified-write.ts';

/** Version folders listed at once (one request each). */
const LIST_CONCURRENCY = 8;

interface ListPage {
  prefixes?: string[];
  nextPageToken?: string;
}

export class GcsSource implements CheckpointSource {
  readonly uri: string;
  private readonly bucket: Bucket;
  /** '' or 'a/b/' */
  private readonly base: string;

  constructor(storage: Storage, bucket: string, prefix: string) {
    this.bucket = storage.bucket(bucket);
    this.base = prefix === '' ? '' : `${prefix}/`;
    this.uri = `gs://${bucket}${prefix ? `/${prefix}` : ''}`;
  }

  async versions(): Promise<CheckpointVersion[]> {
    const names: string[] = [];
    for (const p of await this.list(this.base, 'prefixes')) {
      const name = p.slice(this.base.length, -1);
      if (isVersionName(name)) names.push(name);
    }
    const found = await mapLimit(names, LIST_CONCURRENCY, (name) => this.complete(name));
    return found.filter((v) => v !== undefined).sort((a, b) => compareVersions(a.version, b.version));
  }

  private async complete(version: string): Promise<CheckpointVersion | undefined> {
    const files = await this.list(`${this.base}${version}/`, 'files');
    const byName = new Map(files.map((f) => [f.name.slice(this.base.length + version.length + 1), f]));
    const file = completeModelFile(byName.keys());
    const model = file === undefined ? undefined : byName.get(file);
    if (!model) return undefined;
    const describe = (f: File): CheckpointFile => ({
      uri: `gs://${this.bucket.name}/${f.name}`,
      size: Number(f.metadata.size),
      generation: String(f.metadata.generation),
      ...(f.metadata.md5Hash ? { md5: f.metadata.md5Hash } : {}),
      ...(f.metadata.crc32c ? { crc32c: f.metadata.crc32c } : {}),
    });
    const params = COMPANION_FILES[file!].map((n) => byName.get(n)).find((f) => f !== undefined);
    const v: CheckpointVersion = { version, ...describe(model), ...(params ? { params: describe(params) } : {}) };
    if (file !== 'model.onnx') return v;
    // Complete only with every external data file its model.onnx references.
    const names = await externalDataFiles(
      v.uri,
      v.generation,
      (offset, length) => this.readAt(model, v, offset, length),
      v.size,
    );
    // The files config.json's pipeline reads (tokenizer.json) complete the version too.
    const extra = pipelineFiles(this.uri, await this.config(), await this.config(version));
    const external = [...names, ...extra].map((n) => byName.get(n));
    if (external.some((f) => f === undefined)) return undefined;
    return external.length > 0 ? { ...v, external: external.map((f) => describe(f!)) } : v;
  }

  /** Bytes of the listed generation of `f`, from `offset` (fewer at the end of the object). */
  private async readAt(f: File, v: CheckpointVersion, offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(offset + length, v.size) - 1;
    if (end < offset) return new Uint8Array(0);
    try {
      const [bytes] = await this.bucket.file(f.name, { generation: v.generation }).download({ start: offset, end });
      return bytes;
    } catch (err) {
      throw gcsError(`${v.uri}#${v.generation}`, err, 'not found (deleted or replaced since it was listed?)');
    }
  }

  /** Objects directly under `prefix` ('files') or the "folders" there ('prefixes'), all pages. */
  private async list(prefix: string, what: 'files'): Promise<File[]>;
  private async list(prefix: string, what: 'prefixes'): Promise<string[]>;
  private async list(prefix: string, what: 'files' | 'prefixes'): Promise<File[] | string[]> {
    const files: File[] = [];
    const prefixes: string[] = [];
    let pageToken: string | undefined;
    do {
      try {
        const [page, , raw] = await this.bucket.getFiles({
          prefix,
          delimiter: '/',
          autoPaginate: false,
          ...(pageToken ? { pageToken } : {}),
        });
        files.push(...page);
        const response = raw as ListPage | undefined;
        prefixes.push(...(response?.prefixes ?? []));
        pageToken = response?.nextPageToken;
      } catch (err) {
        throw gcsError(`gs://${this.bucket.name}/${prefix}`, err, `bucket '${this.bucket.name}' not found`);
      }
    } while (pageToken);
    return what === 'files' ? files : prefixes;
  }

  async config(version?: string): Promise<string | undefined> {
    const name =
      version === undefined
        ? `${this.base}${CONFIG_FILE}`
        : `${this.base}${versionFolder(this.uri, version)}/${CONFIG_FILE}`;
    try {
      const [bytes] = await this.bucket.file(name).download();
      return bytes.toString('utf8');
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw gcsError(`gs://${this.bucket.name}/${name}`, err);
    }
  }

  async download(v: CheckpointVersion, dest: string, onProgress?: ProgressFn): Promise<void> {
    const last = v.uri.slice(v.uri.lastIndexOf('/') + 1);
    const stored = v.external?.some((f) => f.uri === v.uri) ? externalDataFile(v.uri, last) : checkpointFileOf(v.uri);
    const name = `${this.base}${versionFolder(this.uri, v.version)}/${stored}`;
    const where = `gs://${this.bucket.name}/${name}#${v.generation}`;
    // The client validates the crc32c of a whole-object download against the one GCS sends
    // (that of the pinned generation, i.e. the listed one); the generator hands us its
    // running value, so a mismatch can name both sides.
    let crc: CRC32C | undefined;
    const file = this.bucket.file(name, { generation: v.generation, crc32cGenerator: () => (crc = new CRC32C()) });
    const input = file.createReadStream({ validation: 'crc32c' });
    await writeVerified(
      input,
      dest,
      v,
      onProgress,
      (err) => {
        if ((err as { code?: unknown }).code !== 'CONTENT_DOWNLOAD_MISMATCH')
          return gcsError(where, err, 'not found (deleted or replaced since it was listed?)');
        const problem = `crc32c: expected ${v.crc32c ?? 'the one GCS sent'}, got ${crc?.toString() ?? 'other bytes'}`;
        return new CheckpointError(
          'checksum_mismatch',
          `${v.uri} (generation ${v.generation}) downloaded corrupt: ${problem}`,
          { cause: err },
        );
      },
      { transportChecksCrc32c: true },
    );
  }

  directPath(): undefined {
    return undefined;
  }
}

function statusOf(err: unknown): number | undefined {
  const c = (err as { code?: unknown }).code;
  return typeof c === 'number' ? c : undefined;
}

function gcsError(where: string, err: unknown, notFound = 'not found'): CheckpointError {
  const status = statusOf(err);
  const msg = (err as Error).message?.trim() || String(err);
  if (status === 404) return new CheckpointError('not_found', `${where}: ${notFound}`, { cause: err });
  return new CheckpointError('storage_error', `${where}: ${status ? `HTTP ${status}: ` : ''}${msg}`, { cause: err });
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}
