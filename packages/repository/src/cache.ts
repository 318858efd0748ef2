// Local copies of remote checkpoints, one folder per exact object (uri + generation), reused
// across restarts. Old copies stay until `evict` removes the least recently used ones.
//
// Layout under `dir`:
//   <key>/model.onnx                 verified bytes (named as in the store: a MODEL_FILES name)
//   <key>/params.npz                 model.jax only: its weights file, when the version has one
//   <key>/weights.bin                model.onnx only: its external data files, named as referenced
//   <key>/meta.json                  written last: its presence marks the copy complete
//   <key>/model.onnx.<nonce>.partial a download in progress (or left by a crash)
//   <key>.lock/                      held while one process downloads <key> (proper-lockfile)
//
// The lock only saves duplicate downloads: the cache stays correct without it, since every
// download goes to its own temp file and is renamed into place after verification.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { checkpointFileOf, modelFileOf } from './layout.ts';
import { CheckpointError } from './source/errors.ts';
import type { CheckpointSource, CheckpointVersion, ProgressFn } from './source/types.ts';
import { parseUri } from './source/uri.ts';

export interface CacheEvent {
  /** lock_lost: another process took over the lock while this one downloaded (it goes on). */
  type: 'hit' | 'download' | 'downloaded' | 'lock_wait' | 'lock_takeover' | 'lock_lost';
  key: string;
  uri: string;
  /** lock_wait: how fresh the lock is; lock_lost: why. */
  detail?: string;
}

export interface CheckpointCacheOptions {
  /**
   * A download lock not refreshed for this long is taken over (its holder died, or hangs).
   * Its holder refreshes it every half of this; at least 2000. @default 10_000
   */
  lockStaleMs?: number;
  /** How often a fetch waiting for another process's download looks again. @default 100 */
  pollMs?: number;
  /** Called on cache hits, downloads and lock waits, e.g. for logs. */
  onEvent?: (e: CacheEvent) => void;
}

interface Meta {
  uri: string;
  version: string;
  generation: string;
  size: number;
  md5?: string;
  crc32c?: string;
  /** The version's params file (an XLA export's weights), downloaded with the model file. */
  params?: { name: string; size: number; generation: string };
  /** model.onnx's external data files, downloaded beside it. */
  external?: { name: string; size: number; generation: string }[];
  fetchedAt: string;
}

const META = 'meta.json';
const code = (err: unknown) => (err as NodeJS.ErrnoException).code;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Flight {
  promise: Promise<string>;
  listeners: Set<ProgressFn>;
}

/** What one flight fetches: version `v` from `source` into the copy `key`, reporting to `progress`. */
interface Job {
  source: CheckpointSource;
  v: CheckpointVersion;
  key: string;
  progress: ProgressFn;
}

export class CheckpointCache {
  readonly dir: string;
  private readonly staleMs: number;
  private readonly pollMs: number;
  private readonly onEvent: (e: CacheEvent) => void;
  private readonly flights = new Map<string, Flight>();

  constructor(dir: string, opts: CheckpointCacheOptions = {}) {
    this.dir = dir;
    this.staleMs = Math.max(opts.lockStaleMs ?? 10_000, 2000);
    this.pollMs = opts.pollMs ?? 100;
    this.onEvent = opts.onEvent ?? (() => {});
  }

  /** Stable name of one exact object: a hash of its uri and generation. */
  static key(v: CheckpointVersion): string {
    // A params file is part of the object: new weights under the same model.jax are a new copy.
    const params = v.params ? `\n${v.params.uri}\n${v.params.generation}` : '';
    // So are external data files (none: the key is the one it always was).
    const external = (v.external ?? []).map((f) => `\n${f.uri}\n${f.generation}`).join('');
    return createHash('sha256').update(`${v.uri}\n${v.generation}${params}${external}`).digest('hex').slice(0, 32);
  }

  /**
   * Local path of the verified model file: directPath when the source has one, else the cached
   * copy, downloading it first. At most one download per key at a time on this machine: one
   * flight per key inside the process, a lock file across processes.
   */
  async fetch(source: CheckpointSource, v: CheckpointVersion, onProgress?: ProgressFn): Promise<string> {
    const direct = source.directPath(v);
    if (direct !== undefined) {
      const path = await checkDirect(direct, v);
      onProgress?.(v.size, v.size);
      return path;
    }
    const key = CheckpointCache.key(v);
    let flight = this.flights.get(key);
    if (!flight) {
      const listeners = new Set<ProgressFn>();
      const progress: ProgressFn = (done, total) => {
        for (const l of listeners) l(done, total);
      };
      const promise = this.fetchLocked({ source, v, key, progress }).finally(() => this.flights.delete(key));
      flight = { promise, listeners };
      this.flights.set(key, flight);
    }
    if (onProgress) flight.listeners.add(onProgress);
    return flight.promise;
  }

  /** Whether a complete copy is present (for a local version: whether its file is there, same size). */
  async has(v: CheckpointVersion): Promise<boolean> {
    const parsed = parseUri(v.uri);
    if (parsed.kind === 'local')
      return checkDirect(parsed.path, v).then(
        () => true,
        () => false,
      );
    return this.complete(CheckpointCache.key(v), v);
  }

  /** Keys of the complete copies, sorted. */
  async list(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.dir, { withFileTypes: true });
    } catch (err) {
      if (code(err) === 'ENOENT') return [];
      throw err;
    }
    const keys = entries.filter((e) => e.isDirectory() && /^[0-9a-f]{32}$/.test(e.name)).map((e) => e.name);
    const complete = await Promise.all(keys.map((k) => this.complete(k)));
    return keys.filter((_, i) => complete[i]).sort();
  }

  /**
   * Removes the least recently used complete copies, never one in `keep` nor one being
   * downloaded, until the copies take at most `maxBytes`. Returns the keys removed.
   */
  async evict(keep: ReadonlySet<string>, maxBytes: number): Promise<string[]> {
    const entries = [];
    for (const key of await this.list()) {
      const folder = join(this.dir, key);
      const [meta, st] = await Promise.all([
        readFile(join(folder, META), 'utf8').then(
          (t) => JSON.parse(t) as Meta,
          () => undefined,
        ),
        stat(join(folder, META)).catch(() => undefined),
      ]);
      if (meta && st) entries.push({ key, size: metaBytes(meta), used: st.mtimeMs });
    }
    let total = entries.reduce((n, e) => n + e.size, 0);
    const removed: string[] = [];
    for (const e of entries.sort((a, b) => a.used - b.used)) {
      if (total <= maxBytes) break;
      if (
        keep.has(e.key) ||
        (await stat(join(this.dir, `${e.key}.lock`)).then(
          () => true,
          () => false,
        ))
      )
        continue;
      // meta.json first: from then on the copy no longer counts as complete.
      await unlink(join(this.dir, e.key, META)).catch(() => {});
      await rm(join(this.dir, e.key), { recursive: true, force: true });
      total -= e.size;
      removed.push(e.key);
    }
    return removed;
  }

  private async fetchLocked(job: Job): Promise<string> {
    const { v, key } = job;
    const folder = join(this.dir, key);
    let waited = false;
    for (;;) {
      if (await this.complete(key, v)) {
        this.onEvent({ type: 'hit', key, uri: v.uri });
        // meta.json's mtime is the copy's last use, for evict().
        const now = new Date();
        await utimes(join(folder, META), now, now).catch(() => {});
        return join(folder, modelFileOf(v.uri));
      }
      await mkdir(folder, { recursive: true });
      const age = await this.lockAge(key);
      const release = await this.tryLock(key, v);
      if (release) {
        if (age !== undefined && age > this.staleMs) this.onEvent({ type: 'lock_takeover', key, uri: v.uri });
        return this.downloadHolding(release, job);
      }
      if (!waited) {
        waited = true;
        this.onEvent({
          type: 'lock_wait',
          key,
          uri: v.uri,
          detail: age === undefined ? 'released' : `refreshed ${Math.round(age)} ms ago`,
        });
      }
      await sleep(this.pollMs);
    }
  }

  /** The lock's release, or undefined while another process holds it (a stale lock is taken over). */
  private async tryLock(key: string, v: CheckpointVersion): Promise<(() => Promise<void>) | undefined> {
    try {
      return await lockfile.lock(join(this.dir, key), {
        lockfilePath: join(this.dir, `${key}.lock`),
        realpath: false,
        stale: this.staleMs,
        retries: 0,
        // The default throws from a timer; losing the lock costs at most a duplicate download.
        onCompromised: (err) => this.onEvent({ type: 'lock_lost', key, uri: v.uri, detail: err.message }),
      });
    } catch (err) {
      if (code(err) === 'ELOCKED') return undefined;
      throw err;
    }
  }

  /** Milliseconds since the download lock of `key` was last refreshed; undefined when nobody holds it. */
  private async lockAge(key: string): Promise<number | undefined> {
    const st = await stat(join(this.dir, `${key}.lock`)).catch(() => undefined);
    return st && Date.now() - st.mtimeMs;
  }

  private async downloadHolding(release: () => Promise<void>, { source, v, key, progress }: Job): Promise<string> {
    const folder = join(this.dir, key);
    const file = modelFileOf(v.uri);
    const model = join(folder, file);
    try {
      // Another process may have finished between our check and our lock.
      if (await this.complete(key, v)) {
        this.onEvent({ type: 'hit', key, uri: v.uri });
        return model;
      }
      await this.removeAbandoned(folder);
      const nonce = randomBytes(6).toString('hex');
      const partial = join(folder, `${file}.${nonce}.partial`);
      this.onEvent({ type: 'download', key, uri: v.uri });
      // Progress counts the external data files too: they hold the weights.
      const external = (v.external ?? []).map((f) => ({ name: f.uri.slice(f.uri.lastIndexOf('/') + 1), ...f }));
      const total = v.size + external.reduce((n, f) => n + f.size, 0);
      await source.download(v, partial, external.length > 0 ? (done) => progress(done, total) : progress);
      await rename(partial, model);
      const params = v.params && { name: checkpointFileOf(v.params.uri), ...v.params };
      if (params) {
        const part = join(folder, `${params.name}.${nonce}.partial`);
        await source.download({ ...v, ...params, md5: params.md5, crc32c: params.crc32c }, part);
        await rename(part, join(folder, params.name));
      }
      // Each external data file verified like the model file, and named as model.onnx references it.
      let before = v.size;
      for (const f of external) {
        const part = join(folder, `${f.name}.${nonce}.partial`);
        const at = before;
        await source.download({ ...v, ...f, md5: f.md5, crc32c: f.crc32c }, part, (done) => progress(at + done, total));
        await rename(part, join(folder, f.name));
        before += f.size;
      }
      const meta: Meta = {
        uri: v.uri,
        version: v.version,
        generation: v.generation,
        size: v.size,
        ...(v.md5 ? { md5: v.md5 } : {}),
        ...(v.crc32c ? { crc32c: v.crc32c } : {}),
        ...(params ? { params: { name: params.name, size: params.size, generation: params.generation } } : {}),
        ...(external.length > 0
          ? { external: external.map((f) => ({ name: f.name, size: f.size, generation: f.generation })) }
          : {}),
        fetchedAt: new Date().toISOString(),
      };
      const metaTmp = join(folder, `${META}.${nonce}.tmp`);
      await writeFile(metaTmp, JSON.stringify(meta, null, 2) + '\n');
      await rename(metaTmp, join(folder, META));
      await syncDir(folder);
      this.onEvent({ type: 'downloaded', key, uri: v.uri });
      return model;
    } finally {
      // Already released when the lock was lost: nothing to undo then.
      await release().catch(() => {});
    }
  }

  /** Partial files of downloads whose writer is gone (not written to for lockStaleMs). */
  private async removeAbandoned(folder: string): Promise<void> {
    for (const name of await readdir(folder).catch(() => [] as string[])) {
      if (!name.endsWith('.partial') && !name.endsWith('.tmp')) continue;
      const p = join(folder, name);
      const st = await stat(p).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > this.staleMs) await unlink(p).catch(() => {});
    }
  }

  private async complete(key: string, v?: CheckpointVersion): Promise<boolean> {
    const folder = join(this.dir, key);
    let meta: Meta;
    try {
      meta = JSON.parse(await readFile(join(folder, META), 'utf8')) as Meta;
    } catch {
      return false;
    }
    if (v && (meta.uri !== v.uri || meta.generation !== v.generation)) return false;
    if (v && v.params?.generation !== meta.params?.generation) return false;
    if (meta.params) {
      const p = await stat(join(folder, meta.params.name)).catch(() => undefined);
      if (p?.isFile() !== true || p.size !== meta.params.size) return false;
    }
    const external = meta.external ?? [];
    if (v && (v.external ?? []).map((f) => f.generation).join('\n') !== external.map((f) => f.generation).join('\n'))
      return false;
    for (const f of external) {
      const p = await stat(join(folder, f.name)).catch(() => undefined);
      if (p?.isFile() !== true || p.size !== f.size) return false;
    }
    let file;
    try {
      file = modelFileOf(meta.uri);
    } catch {
      return false;
    }
    const st = await stat(join(folder, file)).catch(() => undefined);
    return st?.isFile() === true && st.size === meta.size;
  }
}

/** A file served in place must still be the one listed. */
async function checkDirect(path: string, v: CheckpointVersion): Promise<string> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw new CheckpointError('not_found', `${path} (version ${v.version}) does not exist: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (size !== v.size) {
    throw new CheckpointError(
      'checksum_mismatch',
      `${path} (version ${v.version}) holds ${size} bytes, but ${v.size} were listed; list the versions again`,
    );
  }
  for (const f of v.external ?? []) {
    const st = await stat(f.uri).catch(() => undefined);
    if (st?.size === f.size) continue;
    const what = st ? `holds ${st.size} bytes, but ${f.size} were listed` : 'does not exist';
    throw new CheckpointError(
      st ? 'checksum_mismatch' : 'not_found',
      `${f.uri} (external data of version ${v.version}) ${what}; list the versions again`,
    );
  }
  return path;
}

/** Bytes a copy takes: its model file and every file downloaded with it. */
const metaBytes = (meta: Meta): number =>
  meta.size + (meta.params?.size ?? 0) + (meta.external ?? []).reduce((n, f) => n + f.size, 0);

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  await fh?.sync().catch(() => {});
  await fh?.close();
}
