// Allowed roots hold on what a local path resolves to, end to end: the publisher refuses a
// base URI that leads out of its roots through a symlink (as the base or as a directory on
// the way) and leaves out a version linked out of them after publishing, and a worker checks
// what it opens against its own roots, so nothing outside ALTO_ALLOWED_ROOTS is loaded. Real
// publisher, worker, redis-server.
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminRequest } from './support/admin.ts';
import { ROOT, startManagedWorker, startPublisher, testPrefix, type Proc } from './support/fleet.ts';
import { waitFor } from './support/wait.ts';

describe('allowed roots on resolved paths', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('secpaths');
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'alto-secpaths-')));
  const repo = join(base, 'repo');
  const outside = join(base, 'outside');
  // Allowed by the publisher, not by the worker.
  const shared = join(base, 'shared');
  let publisher: Proc & { url: string };
  let worker: Proc;

  const copyTiny = (dir: string) => {
    mkdirSync(join(dir, '1'), { recursive: true });
    cpSync(join(ROOT, 'models/tiny/1/model.onnx'), join(dir, '1', 'model.onnx'));
    cpSync(join(ROOT, 'models/tiny/config.json'), join(dir, 'config.json'));
  };
  const admin = (method: string, path: string, body?: unknown) => adminRequest(publisher.url, method, path, body);
  const model = async (name: string) => (await admin('GET', `/models/${name}`)).body;

  beforeAll(async () => {
    copyTiny(join(repo, 'tiny'));
    copyTiny(join(outside, 'tiny'));
    copyTiny(join(shared, 'tiny'));
    publisher = await startPublisher(redisUrl, prefix, { ALTO_ALLOWED_ROOTS: `${repo},${shared}` });
    worker = await startManagedWorker(redisUrl, prefix, 'w1', {
      ALTO_ALLOWED_ROOTS: repo,
      ALTO_CACHE_DIR: join(base, 'cache'),
    });
  });
  afterAll(async () => {
    await Promise.all([worker?.kill(), publisher?.kill()]);
    rmSync(base, { recursive: true, force: true });
  });

  it('refuses a base URI that is a symlink out of the root, naming the resolved path', async () => {
    symlinkSync(join(outside, 'tiny'), join(repo, 'escape'));
    const r = await admin('POST', '/models', { name: 'escape', uri: join(repo, 'escape') });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('uri_not_allowed');
    expect(r.body.error.message).toContain(`resolves to ${join(outside, 'tiny')}`);
    expect((await admin('GET', '/models/escape')).status).toBe(404);
  });

  it('refuses a base URI through a symlinked directory component', async () => {
    symlinkSync(outside, join(repo, 'elsewhere'));
    const r = await admin('POST', '/models', { name: 'through', uri: join(repo, 'elsewhere', 'tiny') });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('uri_not_allowed');
    expect(r.body.error.message).toContain(`resolves to ${join(outside, 'tiny')}`);
    // An update cannot move a published model there either.
    expect((await admin('POST', '/models', { name: 'tiny', uri: join(repo, 'tiny') })).status).toBe(201);
    const moved = await admin('PATCH', '/models/tiny', { uri: join(repo, 'elsewhere', 'tiny') });
    expect(moved.status).toBe(400);
    expect(moved.body.error.code).toBe('uri_not_allowed');
  });

  it('serves a model under the root (the worker loads what is allowed)', async () => {
    const m = await waitFor(
      async () => {
        const v = await model('tiny');
        return v.status.state === 'available' ? v : undefined;
      },
      { what: 'tiny available', timeoutMs: 60_000 },
    );
    expect(m.workers).toEqual([expect.objectContaining({ id: 'w1', version: '1', state: 'ready' })]);
  });

  it('the publisher leaves out a version linked out of the roots after publishing, naming the resolved path', async () => {
    const later = join(repo, 'later');
    mkdirSync(later);
    cpSync(join(ROOT, 'models/tiny/config.json'), join(later, 'config.json'));
    expect((await admin('POST', '/models', { name: 'later', uri: later })).status).toBe(201);
    // The link appears after the publisher checked the base URI.
    symlinkSync(join(outside, 'tiny', '1'), join(later, '1'));
    const m = await waitFor(
      async () => {
        const v = await model('later');
        return v.status.error?.includes('left out') ? v : undefined;
      },
      { what: 'later/1 left out', timeoutMs: 60_000 },
    );
    expect(m.status.error).toContain(`version 1 left out: checkpoint uri '${join(later, '1', 'model.onnx')}'`);
    expect(m.status.error).toContain(`resolves to ${join(outside, 'tiny', '1', 'model.onnx')}`);
    expect(m.status.versions).toEqual([]);
    expect(m.workers).toEqual([]);
  });

  it('a worker checks what it opens against its own roots, naming the resolved path', async () => {
    // Allowed by the publisher's roots, not by the worker's.
    expect((await admin('POST', '/models', { name: 'wide', uri: join(shared, 'tiny') })).status).toBe(201);
    const failed = await waitFor(
      async () => {
        const v = await model('wide');
        return v.workers.find((w: { error?: string }) => w.error);
      },
      { what: "the worker's refusal of wide/1", timeoutMs: 60_000 },
    );
    expect(failed.state).toBe('failed');
    expect(failed.error).toContain(`checkpoint uri '${join(shared, 'tiny', '1', 'model.onnx')}'`);
    expect(failed.error).toMatch(new RegExp(`not under an allowed root; allowed roots \\(resolved\\): ${repo}$`));
    expect((await model('wide')).status.ready_replicas).toBe(0);
  });
});
