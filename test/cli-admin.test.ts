// The `alto` admin commands end to end: a real publisher behind a gateway's /v1/admin, a
// managed worker, models published from a local base URI.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
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

  it("shows the worker's CPU device, and why a model larger than every device cannot be placed", async () => {
    // What the worker should have found, read here from the same host.
    const model = cpus()[0]!.model.trim().replace(/\s+/g, ' ');
    const listed = JSON.parse((await alto(['workers', '--json'], { env })).stdout).workers;
    expect(listed).toEqual([
      expect.objectContaining({
        id: 'cli-w1',
        devices: [
          expect.objectContaining({
            kind: 'cpu',
            model,
            count: 1,
            memory_bytes_per_device: totalmem(),
            cores: cpus().length,
          }),
        ],
      }),
    ]);
    const table = await alto(['workers'], { env });
    expect(table.stdout).toMatch(/^ID\s+HOST\s+ACCEL\s+STATE\s+DEVICES\s+MEMORY/m);
    expect(table.stdout).toContain(`cpu ${model}, 1 × `);

    const huge = await alto(['publish', 'huge', base, '--memory', '1TiB'], { env });
    expect(huge.code, huge.stderr).toBe(0);
    const reason = await waitFor(
      async () => {
        const m = JSON.parse((await alto(['ls', 'huge', '--json'], { env })).stdout);
        return m.status.state === 'unplaceable' ? (m.status.reason as string) : undefined;
      },
      { what: 'huge unplaceable', timeoutMs: 20_000 },
    );
    // The worker's CPU budget is its default, 80% of the host's memory.
    const budget = Math.floor(totalmem() * 0.8);
    const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
    expect(reason).toBe(
      "1 of 1 replicas not placed: a replica needs 1.0 TiB; no matching worker's CPU memory budget is that large: " +
        `the largest, on cli-w1, is ${gib(budget)} (${gib(2 ** 40 - budget)} short)`,
    );
    expect((await alto(['unpublish', 'huge'], { env })).code).toBe(0);
  });

  it('checks the accelerator and runtime constraints against the values there are and the checkpoint', async () => {
    const bad = await alto(['publish', 'fpga', base, '--constraint', 'accelerator=fpga'], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^alto: invalid_input: constraints\.accelerator: expected one of cpu, gpu, tpu, got 'fpga'/,
    );
    // The base URI holds model.onnx: an XLA runtime cannot serve it.
    const xla = await alto(['publish', 'xla-tiny', base, '--runtime', 'xla'], { env });
    expect(xla.code, xla.stderr).toBe(0);
    const status = await waitFor(
      async () => {
        const m = JSON.parse((await alto(['ls', 'xla-tiny', '--json'], { env })).stdout);
        return m.status.state === 'failed' ? m.status : undefined;
      },
      { what: 'xla-tiny failed', timeoutMs: 20_000 },
    );
    expect(status.reason).toBe('constraint runtime=xla, but version 1 is model.onnx, which runs on onnx');
    expect((await alto(['unpublish', 'xla-tiny'], { env })).code).toBe(0);
  });
});
