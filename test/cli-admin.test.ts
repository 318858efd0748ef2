// The `alto` admin commands end to end: a real publisher behind a gateway's /v1/admin, a
// managed worker, models published from a local base URI.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { alto } from './support/cli.ts';
import {
  ADMIN_TOKEN,
  ROOT,
  startGateway,
  startManagedWorker,
  startPublisher,
  testPrefix,
  type Proc,
} from './support/fleet.ts';
import { waitFor } from './support/wait.ts';

describe('alto admin commands', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('cliadmin');
  const repo = mkdtempSync(join(tmpdir(), 'alto-cli-repo-'));
  const base = join(repo, 'tiny');
  let publisher: Proc & { url: string };
  let gateway: Proc & { url: string };
  let worker: Proc;
  let env: Record<string, string>;

  beforeAll(async () => {
    mkdirSync(join(base, '1'), { recursive: true });
    cpSync(join(ROOT, 'models/tiny/1/model.onnx'), join(base, '1', 'model.onnx'));
    publisher = await startPublisher(redisUrl, prefix, { ALTO_ALLOWED_ROOTS: repo });
    gateway = await startGateway(redisUrl, prefix, { ALTO_PUBLISHER_URL: publisher.url });
    worker = await startManagedWorker(redisUrl, prefix, 'cli-w1', { ALTO_CACHE_DIR: join(repo, '.cache') });
    env = { ALTO_URL: gateway.url, ALTO_ADMIN_TOKEN: ADMIN_TOKEN };
  });
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill(), publisher?.kill()]);
    rmSync(repo, { recursive: true, force: true });
  });

  it('publish, ls, workers, update and unpublish, with exit statuses that mean something', async () => {
    const published = await alto(['publish', 'tiny', base, '--replicas', '1', '--max-batch-size', '8'], { env });
    expect(published.code, published.stderr).toBe(0);
    await waitFor(
      async () => {
        const r = await alto(['ls', '--json'], { env });
        const m = JSON.parse(r.stdout).models[0];
        return m?.status.state === 'available' ? m : undefined;
      },
      { what: 'tiny available', timeoutMs: 30_000 },
    );
    const ls = await alto(['ls'], { env });
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^NAME\s+VERSION\s+REPLICAS\s+STATE/m);
    expect(ls.stdout).toMatch(/^tiny\s+1\s+1\/1\s+available/m);
    const detail = await alto(['ls', 'tiny'], { env });
    expect(detail.code).toBe(0);
    expect(detail.stdout).toContain('cli-w1');
    const workers = await alto(['workers'], { env });
    expect(workers.code).toBe(0);
    expect(workers.stdout).toMatch(/cli-w1.*tiny@1 ready/);
    const update = await alto(['update', 'tiny', '--replicas', '0'], { env });
    expect(update.code, update.stderr).toBe(0);
    const removed = await alto(['unpublish', 'tiny'], { env });
    expect(removed.code, removed.stderr).toBe(0);
    const missing = await alto(['ls', 'tiny'], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^alto: model_not_found: /);
  });

  it('refuses a wrong token (exit 4) and a base URI outside the allowed roots (exit 1), in one line', async () => {
    const wrong = await alto(['ls'], { env: { ...env, ALTO_ADMIN_TOKEN: 'wrong-token-wrong-token' } });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    const outside = await alto(['publish', 'evil', '/etc'], { env });
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/^alto: uri_not_allowed: .*\/etc/);
  });

  it('drains and undrains a worker, and lists and replays dead letters', async () => {
    const drained = await alto(['drain', 'cli-w1'], { env });
    expect(drained.code, drained.stderr).toBe(0);
    const workers = JSON.parse((await alto(['workers', '--json'], { env })).stdout).workers;
    expect(workers).toEqual([expect.objectContaining({ id: 'cli-w1', drained: true })]);
    expect((await alto(['undrain', 'cli-w1'], { env })).code).toBe(0);
    const unknown = await alto(['drain', 'no-such-worker'], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^alto: not_found: no worker 'no-such-worker'/);
    const none = await alto(['dead-letters', 'tiny'], { env });
    expect(none).toMatchObject({ code: 0, stdout: 'no dead letters for tiny\n' });
    const replayed = await alto(['replay', 'tiny', '--entry', 'nonsense'], { env });
    expect(replayed.code).toBe(1);
    expect(replayed.stderr).toMatch(/entries\.0: stream entry ids look like/);
  });

  it('shows why replicas cannot be placed', async () => {
    const r = await alto(['publish', 'gpu-tiny', base, '--constraint', 'accelerator=gpu'], { env });
    expect(r.code, r.stderr).toBe(0);
    const ls = await waitFor(
      async () => {
        const out = await alto(['ls'], { env });
        return /unplaceable/.test(out.stdout) ? out.stdout : undefined;
      },
      { what: 'gpu-tiny unplaceable', timeoutMs: 20_000 },
    );
    expect(ls).toMatch(
      /^gpu-tiny\s+.*unplaceable\s+1 of 1 replicas not placed: no live worker matches accelerator=gpu/m,
    );
    expect((await alto(['unpublish', 'gpu-tiny'], { env })).code).toBe(0);
  });
});
