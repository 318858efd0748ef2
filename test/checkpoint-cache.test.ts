// CheckpointCache against a real GCS emulator: verified copies, one download per key at a time
// (in one process, across instances and across processes), reuse after a restart, stale and
// crashed holders' locks.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, rmdir, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Storage } from '@google-cloud/storage';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CheckpointCache,
  CheckpointError,
  openSource,
  type CacheEvent,
  type CheckpointSource,
  type CheckpointVersion,
} from '@alto/repository';
import { startFakeGcs, type FakeGcs } from './support/fake-gcs.ts';
import { ROOT } from './support/fleet.ts';
import { createBucket, gcsFixture, localFixture } from './support/checkpoint-fixtures.ts';
import type { SourceFixture } from './support/checkpoint-source-contract.ts';
import { waitFor } from './support/wait.ts';

const BUCKET = 'alto-cache';
const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Delegates to a real source, counting downloads; a download can be held until released. */
function counting(inner: CheckpointSource) {
  let release: () => void = () => {};
  let gate: Promise<void> | undefined;
  const s = {
    downloads: 0,
    hold() {
      gate = new Promise((r) => (release = r));
    },
    release: () => release(),
    uri: inner.uri,
    versions: () => inner.versions(),
    config: (v?: string) => inner.config(v),
    directPath: (v: CheckpointVersion) => inner.directPath(v),
    async download(v: CheckpointVersion, dest: string, onProgress?: (d: number, t: number) => void) {
      s.downloads++;
      await gate;
      await inner.download(v, dest, onProgress);
    },
  };
  return s;
}

async function rejection(p: Promise<unknown>): Promise<CheckpointError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CheckpointError);
  return err as CheckpointError;
}

let gcs: FakeGcs;
let storage: Storage;
beforeAll(async () => {
  gcs = await startFakeGcs({ backend: 'filesystem' });
  storage = await createBucket(gcs, BUCKET);
});
afterAll(async () => {
  await gcs?.stop();
});

describe('CheckpointCache with a GCS source', () => {
  let fx: SourceFixture;
  let dir: string;
  let bytes: Buffer;
  let src: ReturnType<typeof counting>;
  let v: CheckpointVersion;

  beforeEach(async () => {
    fx = gcsFixture(gcs, storage, BUCKET);
    dir = await mkdtemp(join(tmpdir(), 'alto-cache-'));
    bytes = randomBytes(2 * 1024 * 1024 + 3);
    await fx.put('1/model.onnx', bytes);
    src = counting(openSource(fx.uri, fx.options));
    [v] = (await src.versions()) as [CheckpointVersion];
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('key is a hash of uri and generation only', () => {
    const k = CheckpointCache.key(v);
    expect(k).toMatch(/^[0-9a-f]{32}$/);
    expect(CheckpointCache.key({ ...v, size: 1, md5: 'x', version: 'other' })).toBe(k);
    expect(CheckpointCache.key({ ...v, generation: `${v.generation}1` })).not.toBe(k);
    expect(CheckpointCache.key({ ...v, uri: `${v.uri}x` })).not.toBe(k);
  });

  it('downloads once, then serves the verified copy without downloading again', async () => {
    const cache = new CheckpointCache(dir);
    expect(await cache.has(v)).toBe(false);
    const seen: number[] = [];
    const path = await cache.fetch(src, v, (done) => seen.push(done));
    expect(md5(await readFile(path))).toBe(md5(bytes));
    expect(seen.at(-1)).toBe(bytes.length);
    expect(await cache.fetch(src, v)).toBe(path);
    expect(src.downloads).toBe(1);
    expect(await cache.has(v)).toBe(true);
    expect(await cache.list()).toEqual([CheckpointCache.key(v)]);
    const meta = JSON.parse(await readFile(join(dir, CheckpointCache.key(v), 'meta.json'), 'utf8'));
    expect(meta).toMatchObject({
      uri: v.uri,
      generation: v.generation,
      size: bytes.length,
      md5: md5(bytes),
      crc32c: v.crc32c,
    });
  });

  it('evicts the least recently used copies beyond a size, never one kept or being downloaded', async () => {
    const cache = new CheckpointCache(dir);
    await fx.put('2/model.onnx', randomBytes(bytes.length));
    await fx.put('3/model.onnx', randomBytes(bytes.length));
    const [, v2, v3] = (await src.versions()) as [CheckpointVersion, CheckpointVersion, CheckpointVersion];
    for (const x of [v, v2, v3]) await cache.fetch(src, x);
    // Use order: v2 oldest, then v3, then v (fetched again: a hit refreshes its use time).
    await utimes(join(dir, CheckpointCache.key(v2), 'meta.json'), new Date(1000), new Date(1000));
    await utimes(join(dir, CheckpointCache.key(v3), 'meta.json'), new Date(2000), new Date(2000));
    await cache.fetch(src, v);
    const keys = [v, v2, v3].map((x) => CheckpointCache.key(x));
    // Room for two: the oldest goes, unless kept; then the next oldest.
    expect(await cache.evict(new Set([keys[1]!]), 2 * bytes.length)).toEqual([keys[2]]);
    expect((await cache.list()).sort()).toEqual([keys[0]!, keys[1]!].sort());
    expect(await cache.has(v3)).toBe(false);
    // A copy being downloaded (its lock held) is left alone.
    await writeFile(join(dir, `${keys[1]}.lock`), 'someone');
    expect(await cache.evict(new Set(), 0)).toEqual([keys[0]]);
    expect(await cache.list()).toEqual([keys[1]]);
    expect(src.downloads).toBe(3);
  });

  it('a new instance on the same directory (a restart) reuses the copy', async () => {
    const path = await new CheckpointCache(dir).fetch(src, v);
    const events: CacheEvent[] = [];
    const again = new CheckpointCache(dir, { onEvent: (e) => events.push(e) });
    expect(await again.list()).toEqual([CheckpointCache.key(v)]);
    expect(await again.fetch(src, v)).toBe(path);
    expect(src.downloads).toBe(1);
    expect(events.map((e) => e.type)).toEqual(['hit']);
  });

  it('concurrent fetches of one key in one process download once, and all see progress to the end', async () => {
    const cache = new CheckpointCache(dir);
    const seen: number[][] = [[], [], []];
    const paths = await Promise.all(seen.map((s) => cache.fetch(src, v, (done) => s.push(done))));
    expect(new Set(paths).size).toBe(1);
    expect(src.downloads).toBe(1);
    for (const s of seen) expect(s.at(-1)).toBe(bytes.length);
  });

  it('two cache instances in one process wait on the lock file instead of downloading twice', async () => {
    src.hold();
    const events: CacheEvent[] = [];
    const first = new CheckpointCache(dir).fetch(src, v);
    await waitFor(() => src.downloads === 1, { what: 'first download to start' });
    const second = new CheckpointCache(dir, { pollMs: 10, onEvent: (e) => events.push(e) }).fetch(src, v);
    const wait = await waitFor(() => events.find((e) => e.type === 'lock_wait'), {
      what: 'second fetch to wait for the lock',
    });
    expect(wait.detail).toMatch(/^refreshed \d+ ms ago$/);
    src.release();
    const [a, b] = await Promise.all([first, second]);
    expect(b).toBe(a);
    expect(src.downloads).toBe(1);
    expect(events.map((e) => e.type)).toEqual(['lock_wait', 'hit']);
  });

  /** A process fetching v through a CheckpointCache on `cacheDir`; its download waits until `release` exists. */
  const fetchInChild = (cacheDir: string, release: string) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/cache-fetch-child.ts', cacheDir, fx.uri, gcs.endpoint, release],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const events = () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { event: string; path?: string });
    return { child, exited, events, output: () => out };
  };

  it('two processes fetching one key download it once', async () => {
    const release = join(dir, 'release');
    const run = () => fetchInChild(join(dir, 'c'), release);
    const [a, b] = [run(), run()];
    const all = () => [...a.events(), ...b.events()].map((e) => e.event);
    // One holds the lock and its download is gated; the other must be seen waiting on the lock.
    await waitFor(() => all().includes('download') && all().includes('lock_wait'), {
      timeoutMs: 30_000,
      what: `one download and one lock wait; got ${JSON.stringify(all())}\n${a.output()}\n${b.output()}`,
    });
    await writeFile(release, '');
    expect([await a.exited, await b.exited], a.output() + b.output()).toEqual([0, 0]);
    expect(all().filter((e) => e === 'download')).toHaveLength(1);
    const paths = [...a.events(), ...b.events()].filter((e) => e.event === 'done').map((e) => e.path);
    expect(paths).toHaveLength(2);
    expect(paths[0]).toBe(paths[1]);
    expect(md5(await readFile(paths[0]!))).toBe(md5(bytes));
  });

  it('a new generation of the version is a new key and downloads again; the old copy stays listed', async () => {
    const cache = new CheckpointCache(dir);
    await cache.fetch(src, v);
    const newer = randomBytes(1000);
    await fx.put('1/model.onnx', newer);
    const [v2] = (await src.versions()) as [CheckpointVersion];
    expect(v2.generation).not.toBe(v.generation);
    expect(await cache.has(v2)).toBe(false);
    expect(md5(await readFile(await cache.fetch(src, v2)))).toBe(md5(newer));
    expect(src.downloads).toBe(2);
    expect(await cache.list()).toEqual([CheckpointCache.key(v), CheckpointCache.key(v2)].sort());
  });

  it('corrupt bytes are rejected: nothing cached, no partial file, the lock released', async () => {
    await fx.corrupt('1/model.onnx');
    const cache = new CheckpointCache(dir);
    const err = await rejection(cache.fetch(src, v));
    expect(err.code).toBe('checksum_mismatch');
    expect(await cache.has(v)).toBe(false);
    expect(await cache.list()).toEqual([]);
    const key = CheckpointCache.key(v);
    expect(await readdir(join(dir, key))).toEqual([]);
    expect(await exists(join(dir, `${key}.lock`))).toBe(false);
  });

  it('a copy left without meta.json (a crash before it was written) is not complete and is downloaded again', async () => {
    const key = CheckpointCache.key(v);
    await mkdir(join(dir, key), { recursive: true });
    await writeFile(join(dir, key, 'model.onnx'), bytes.subarray(0, 100));
    const cache = new CheckpointCache(dir);
    expect(await cache.has(v)).toBe(false);
    expect(await cache.list()).toEqual([]);
    expect(md5(await readFile(await cache.fetch(src, v)))).toBe(md5(bytes));
    expect(src.downloads).toBe(1);
  });

  describe('lock files of other processes', () => {
    it('takes over the lock of a process killed while downloading, once it is stale', async () => {
      const crashed = fetchInChild(dir, join(dir, 'never'));
      await waitFor(() => crashed.events().some((e) => e.event === 'download'), {
        timeoutMs: 30_000,
        what: `child download\n${crashed.output()}`,
      });
      crashed.child.kill('SIGKILL');
      await crashed.exited;
      expect(await exists(join(dir, `${CheckpointCache.key(v)}.lock`))).toBe(true);
      const events: CacheEvent[] = [];
      const path = await new CheckpointCache(dir, {
        lockStaleMs: 2000,
        pollMs: 20,
        onEvent: (e) => events.push(e),
      }).fetch(src, v);
      expect(md5(await readFile(path))).toBe(md5(bytes));
      expect(events.map((e) => e.type)).toEqual(['lock_wait', 'lock_takeover', 'download', 'downloaded']);
    });

    it('takes over a lock not refreshed for lockStaleMs', async () => {
      const lock = join(dir, `${CheckpointCache.key(v)}.lock`);
      await mkdir(lock, { recursive: true });
      const old = new Date(Date.now() - 60_000);
      await utimes(lock, old, old);
      const events: CacheEvent[] = [];
      await new CheckpointCache(dir, { lockStaleMs: 5_000, onEvent: (e) => events.push(e) }).fetch(src, v);
      expect(events[0]?.type).toBe('lock_takeover');
      expect(src.downloads).toBe(1);
    });

    it('waits for a live, fresh lock and goes on once it is released', async () => {
      const lock = join(dir, `${CheckpointCache.key(v)}.lock`);
      await mkdir(lock, { recursive: true });
      const events: CacheEvent[] = [];
      const fetching = new CheckpointCache(dir, { pollMs: 10, onEvent: (e) => events.push(e) }).fetch(src, v);
      await waitFor(() => events.some((e) => e.type === 'lock_wait'), { what: 'lock_wait' });
      expect(src.downloads).toBe(0);
      await rmdir(lock);
      expect(md5(await readFile(await fetching))).toBe(md5(bytes));
      expect(events.map((e) => e.type)).toEqual(['lock_wait', 'download', 'downloaded']);
    });
  });
});

describe('CheckpointCache with a local source', () => {
  it('serves the file in place without copying; a file changed since listing is refused', async () => {
    const fx = await localFixture();
    const dir = await mkdtemp(join(tmpdir(), 'alto-cache-'));
    try {
      await fx.put('3/model.onnx', 'weights');
      const src = counting(openSource(fx.uri));
      const [v] = (await src.versions()) as [CheckpointVersion];
      const cache = new CheckpointCache(dir);
      const seen: Array<[number, number]> = [];
      expect(await cache.fetch(src, v, (d, t) => seen.push([d, t]))).toBe(join(fx.uri, '3', 'model.onnx'));
      expect(seen).toEqual([[7, 7]]);
      expect(src.downloads).toBe(0);
      expect(await cache.list()).toEqual([]);
      expect(await cache.has(v)).toBe(true);
      await fx.put('3/model.onnx', 'other weights');
      expect((await rejection(cache.fetch(src, v))).code).toBe('checksum_mismatch');
      expect(await cache.has(v)).toBe(false);
      await fx.remove('3/model.onnx');
      expect((await rejection(cache.fetch(src, v))).code).toBe('not_found');
    } finally {
      await rm(fx.root, { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
    }
  });
});
