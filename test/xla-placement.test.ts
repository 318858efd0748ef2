// Placement by runtime through the real publisher: an XLA export (model.jax) is not placeable
// while no live worker has the xla runtime, and `alto ls` says why; once a worker with the
// runtime joins, the model is placed there and served, while the ONNX-only worker keeps
// serving ONNX models.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { alto } from './support/cli.ts';
import { ADMIN_TOKEN, ROOT, testPrefix, type Proc } from './support/fleet.ts';
import { startGateway, startManagedWorker, startPublisher } from './support/fleet.ts';
import { expectClose, postJson, randomFloats } from './support/http.ts';
import { runDirect } from './support/ort.ts';
import { waitFor } from './support/wait.ts';
import { XLA_INSTALL_TIMEOUT_MS, xlaPython } from './support/xla.ts';

describe('placing XLA models by runtime', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('xlaplace');
  const cache = mkdtempSync(join(tmpdir(), 'alto-xla-place-'));
  const procs: Proc[] = [];
  let gateway: Proc & { url: string };
  let env: Record<string, string>;

  beforeAll(async () => {
    const venv = dirname(dirname(xlaPython()));
    const publisher = await startPublisher(redisUrl, prefix, { ALTO_ALLOWED_ROOTS: `${ROOT}models` });
    procs.push(publisher);
    gateway = await startGateway(redisUrl, prefix, { ALTO_PUBLISHER_URL: publisher.url });
    procs.push(gateway);
    procs.push(
      await startManagedWorker(redisUrl, prefix, 'onnx-only', {
        ALTO_XLA_RUNTIME: 'off',
        ALTO_XLA_VENV: venv,
        ALTO_CACHE_DIR: join(cache, 'a'),
      }),
    );
    env = { ALTO_URL: gateway.url, ALTO_ADMIN_TOKEN: ADMIN_TOKEN };
  }, XLA_INSTALL_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    rmSync(cache, { recursive: true, force: true });
  });

  it('shows "no worker has the xla runtime" until a worker with it joins, then serves the model there', async () => {
    const r = await alto(['publish', 'tiny-xla', `${ROOT}models/tiny-xla`], { env });
    expect(r.code, r.stderr).toBe(0);
    const ls = await waitFor(
      async () => {
        const out = await alto(['ls'], { env });
        return /unplaceable/.test(out.stdout) ? out.stdout : undefined;
      },
      { what: 'tiny-xla unplaceable', timeoutMs: 20_000 },
    );
    expect(ls).toMatch(
      /^tiny-xla\s+.*unplaceable\s+1 of 1 replicas not placed: no (live )?worker has the xla runtime/m,
    );

    procs.push(
      await startManagedWorker(redisUrl, prefix, 'with-xla', {
        ALTO_XLA_VENV: dirname(dirname(xlaPython())),
        ALTO_CACHE_DIR: join(cache, 'b'),
      }),
    );
    await waitFor(
      async () => {
        const out = JSON.parse((await alto(['ls', '--json'], { env })).stdout) as {
          models: { name: string; status: { state: string } }[];
        };
        return out.models.find((m) => m.name === 'tiny-xla')?.status.state === 'available';
      },
      { what: 'tiny-xla available', timeoutMs: 60_000 },
    );
    const reports = JSON.parse((await alto(['workers', '--json'], { env })).stdout).workers as {
      id: string;
      runtimes?: string[];
      models: { name: string; compile_ms?: Record<string, number> }[];
    }[];
    const withXla = reports.find((w) => w.id === 'with-xla')!;
    expect(withXla.runtimes).toEqual(['onnx', 'xla']);
    expect(reports.find((w) => w.id === 'onnx-only')!.runtimes).toEqual(['onnx']);
    const held = withXla.models.find((m) => m.name === 'tiny-xla')!;
    expect(Object.keys(held.compile_ms ?? {}).map(Number)).toEqual([1, 2, 4, 8, 16, 32, 64]);
    const workers = await alto(['workers'], { env });
    expect(workers.stdout).toMatch(/with-xla.*tiny-xla@1 ready/);
    expect(workers.stdout).not.toMatch(/onnx-only.*tiny-xla/);

    const x = randomFloats(64, 41);
    const p = await postJson(
      `${gateway.url}/v1/models/tiny-xla/predictions`,
      { input: { x: { datatype: 'FP32', shape: [1, 64], data: Array.from(x) } } },
      { prefer: 'wait=30' },
    );
    expect(p.body.status).toBe('succeeded');
    expectClose(p.body.output.y.data, (await runDirect('tiny', 'x', x, [1, 64])).data, 1e-5);
  }, 120_000);
});
