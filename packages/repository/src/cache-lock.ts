// A lock file shared by processes on one machine: created with O_EXCL, holding the owner's
// pid, host and a nonce, its mtime refreshed while held. A lock whose owner is a dead pid on
// this host, or that was not refreshed for `staleMs` (a pid reused, another pid namespace
// sharing the directory, a frozen machine), is taken over.
//
// The lock only saves duplicate downloads: the cache stays correct without it, since every
// download goes to its own temp file and is renamed into place after verification.
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';

interface LockBody {
  pid: number;
  host: string;
  nonce: string;
  since: string;
}

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

export class HeldLock {
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly path: string,
    private readonly nonce: string,
    staleMs: number,
  ) {
    this.timer = setInterval(() => {
      const now = new Date();
      utimes(path, now, now).catch(() => {});
    }, Math.max(10, Math.floor(staleMs / 4)));
    this.timer.unref();
  }

  /** Removes the lock file if it is still this one (it is not, after a takeover). */
  async release(): Promise<void> {
    clearInterval(this.timer);
    const body = await readBody(this.path);
    if (body?.nonce === this.nonce) await unlink(this.path).catch(() => {});
  }
}

/** The lock, or undefined when a file already holds it. */
export async function tryLock(path: string, staleMs: number): Promise<HeldLock | undefined> {
  const body: LockBody = { pid: process.pid, host: hostname(), nonce: randomBytes(8).toString('hex'), since: new Date().toISOString() };
  try {
    await writeFile(path, JSON.stringify(body), { flag: 'wx' });
  } catch (err) {
    if (code(err) === 'EEXIST') return undefined;
    throw err;
  }
  return new HeldLock(path, body.nonce, staleMs);
}

/** Who holds the lock at `path`, for messages; undefined when nobody does. */
export async function lockHolder(path: string): Promise<string | undefined> {
  const body = await readBody(path);
  return body ? `pid ${body.pid} on ${body.host} since ${body.since}` : undefined;
}

/**
 * Removes the lock at `path` when its holder is gone; true when it did (the caller then tries
 * tryLock again, racing fairly with everyone else).
 */
export async function takeOverIfStale(path: string, staleMs: number): Promise<boolean> {
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(path)).mtimeMs;
  } catch (err) {
    if (code(err) === 'ENOENT') return true; // released meanwhile
    throw err;
  }
  const body = await readBody(path);
  const deadPid = body !== undefined && body.host === hostname() && !alive(body.pid);
  if (!deadPid && Date.now() - mtimeMs <= staleMs) return false;
  // Move the stale file aside rather than unlinking it: if another process took it over and
  // locked again in between, we moved *its* lock, see that from the nonce, and put it back.
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if (code(err) === 'ENOENT') return true;
    throw err;
  }
  const moved = await readBody(aside);
  if (body !== undefined && moved?.nonce !== body.nonce) await link(aside, path).catch(() => {});
  await unlink(aside).catch(() => {});
  return true;
}

async function readBody(path: string): Promise<LockBody | undefined> {
  try {
    const body = JSON.parse(await readFile(path, 'utf8')) as Partial<LockBody>;
    return typeof body.pid === 'number' && typeof body.nonce === 'string' ? (body as LockBody) : undefined;
  } catch {
    // Missing, or created and not yet written: judged by its mtime alone.
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return code(err) === 'EPERM';
  }
}
