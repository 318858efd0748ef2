// The claim on the fleet's Redis data directory: one fleet's redis-server per directory.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisDirInUseError, claimRedisDir } from './redis.ts';

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'alto-fleet-dir-'));
  dirs.push(d);
  return join(d, 'redis');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('redis data directory claim', () => {
  it('creates the directory, records this process, and releases the claim', () => {
    const dir = scratch();
    const release = claimRedisDir(dir);
    expect(readFileSync(join(dir, 'fleet.pid'), 'utf8')).toBe(String(process.pid));
    release();
    expect(existsSync(join(dir, 'fleet.pid'))).toBe(false);
  });

  it('refuses a directory another live process holds, naming ALTO_REDIS_DIR, and leaves its claim', () => {
    const dir = scratch();
    claimRedisDir(dir)();
    writeFileSync(join(dir, 'fleet.pid'), String(process.ppid));
    const err = (() => {
      try {
        claimRedisDir(dir);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(RedisDirInUseError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `holds the Redis data of another running fleet \\(pid ${process.ppid}\\); set ALTO_REDIS_DIR to another directory`,
      ),
    );
    expect(readFileSync(join(dir, 'fleet.pid'), 'utf8')).toBe(String(process.ppid));
  });

  it('takes over a claim whose process is gone', () => {
    const dir = scratch();
    claimRedisDir(dir)();
    // Pids are below the kernel's pid_max, so no process has that one.
    const dead = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    writeFileSync(join(dir, 'fleet.pid'), String(dead));
    const release = claimRedisDir(dir);
    expect(readFileSync(join(dir, 'fleet.pid'), 'utf8')).toBe(String(process.pid));
    release();
  });
});
