// @alto/procs against real processes: ready lines, early exits, stopping one that ignores
// SIGTERM, and a redis-server with and without an append-only file.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { spawnProc, startProc, startRedis, waitReady } from '@alto/procs';
import { describe, expect, it } from 'vitest';

const node = (code: string) => [process.execPath, ['-e', code]] as const;

describe('procs', () => {
  it('startProc resolves once the ready line is printed, and keeps the output', async () => {
    const p = await startProc(
      ...node(
        `console.log('warming up'); setTimeout(() => console.log('ready on 42'), 200); setInterval(() => {}, 1000)`,
      ),
      { name: 'child', ready: /ready on \d+/ },
    );
    try {
      expect(p.output()).toContain('warming up\nready on 42');
      expect(p.gone()).toBe(false);
    } finally {
      expect(await p.stop()).toBe(null); // ended by SIGTERM, so no exit code
    }
  });

  it('a process that exits before it is ready fails with its exit code and output', async () => {
    await expect(
      startProc(...node(`console.error('bad config: X'); process.exit(3)`), { name: 'child', ready: /ready/ }),
    ).rejects.toThrow(/child exited \(3\) before it was ready:\nbad config: X/);
  });

  it('a command that does not exist fails with the reason, not a hang', async () => {
    await expect(
      startProc('/nonexistent/alto-command', [], { name: 'missing', ready: /ready/, timeoutMs: 10_000 }),
    ).rejects.toThrow(/missing exited .*cannot start missing .*ENOENT/s);
  });

  it('a process not ready in time is killed, and the error says what was awaited', async () => {
    let pid = 0;
    const p = spawnProc(...node(`setInterval(() => {}, 1000)`), { name: 'slow' });
    pid = p.child.pid!;
    await expect(waitReady(p, /never/, 300)).rejects.toThrow(
      /slow was not ready within 300 ms \(waiting for output matching \/never\/\)/,
    );
    await p.kill('SIGKILL');
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('stop escalates to SIGKILL when SIGTERM is ignored', async () => {
    const p = await startProc(
      ...node(`process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)`),
      { name: 'stubborn', ready: /up/ },
    );
    const t0 = Date.now();
    await p.stop(300);
    expect(p.child.signalCode).toBe('SIGKILL');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('startRedis without a directory persists nothing; with one it writes the append-only file there', async () => {
    const plain = await startRedis();
    const c = new Redis(plain.url);
    try {
      expect(await c.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    } finally {
      c.disconnect();
      await plain.stop();
    }
    const dir = mkdtempSync(join(tmpdir(), 'alto-procs-'));
    const durable = await startRedis({ dir, appendfsync: 'always' });
    const d = new Redis(durable.url);
    try {
      expect(await d.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
      await d.set('k', 'v');
      expect(existsSync(join(dir, 'appendonlydir')) && readdirSync(join(dir, 'appendonlydir')).length).toBeGreaterThan(
        0,
      );
    } finally {
      d.disconnect();
      await durable.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(durable.proc.gone()).toBe(true);
  });

  it('startRedis takes a free port when asked to and the preferred one is taken', async () => {
    const first = await startRedis();
    try {
      const second = await startRedis({ port: first.port, orFreePort: true });
      expect(second.port).not.toBe(first.port);
      await second.stop();
      await expect(startRedis({ port: first.port, timeoutMs: 10_000 })).rejects.toThrow(/redis-server exited/);
    } finally {
      await first.stop();
    }
  });
});
