// The Python client (clients/python, alto_client) end to end: its pytest suite, run from the
// test venv, against a real fleet this file starts (URLs, keys and the webhook secret are
// passed in ALTO_SDK_* variables), a dropped-connection proxy in front of the gateway, and
// the worker's pid so tests can hold it still. Every test must run: a skip fails this file.
import { ERROR_CODES, httpStatus } from '@alto/protocol';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_URL, docExample } from './support/doc-examples.ts';
import { startDropProxy, type DropProxy } from './support/drop-proxy.ts';
import { ROOT } from './support/fleet.ts';
import { TEST_VENV_INSTALL_TIMEOUT_MS, testPython } from './support/python.ts';
import { SDK_KEYS, SDK_MAX_BODY_BYTES, sdkFleet } from './support/sdk-fleet.ts';

function runPython(python: string, args: string[], env: Record<string, string>) {
  const child = spawn(python, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  // Asynchronous on purpose: the drop proxy runs in this process while pytest runs.
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, output })),
  );
}

const pytest = (python: string, env: Record<string, string>) =>
  runPython(python, ['-m', 'pytest', '-q', '-rs', '-p', 'no:cacheprovider', 'clients/python/tests'], env);

describe('alto_client (Python)', () => {
  const fleet = sdkFleet('clientpy');
  let python: string;
  let proxy: DropProxy;

  beforeAll(async () => {
    python = testPython();
    proxy = await startDropProxy(fleet.gateway.url);
  }, TEST_VENV_INSTALL_TIMEOUT_MS);
  afterAll(async () => {
    await proxy?.close();
  });

  it('passes its pytest suite against the fleet, every test run', async () => {
    const { code, output } = await pytest(python, {
      ALTO_SDK_URL: fleet.gateway.url,
      ALTO_SDK_KEYS: JSON.stringify(SDK_KEYS),
      ALTO_SDK_WEBHOOK_SECRET: fleet.secret,
      ALTO_SDK_DROP_PROXY_URL: proxy.url,
      ALTO_SDK_REDISLESS_URL: fleet.redisless.url,
      ALTO_SDK_WORKER_PID: String(fleet.worker.child.pid),
      ALTO_SDK_MAX_BODY_BYTES: String(SDK_MAX_BODY_BYTES),
      ALTO_SDK_ERROR_STATUSES: JSON.stringify(Object.fromEntries(ERROR_CODES.map((c) => [c, httpStatus(c)]))),
    });
    expect(code, output).toBe(0);
    // Only passes on the summary line: no skipped, xfailed or errored test.
    const summary = output.trim().split('\n').pop()!;
    expect(summary).toMatch(/^\d+ passed in [\d.]+s$/);
    expect(Number(summary.split(' ')[0])).toBeGreaterThanOrEqual(18);
    // The first connection through the proxy was cut after the gateway took the request.
    expect(proxy.dropped).toBe(true);
    expect(proxy.connections).toBe(2);
  }, 180_000);

  it('runs the example of the README and docs/clients.md', async () => {
    const example = docExample('README.md', '## Client libraries', 'python');
    expect(docExample('docs/clients.md', '', 'python')).toBe(example);
    expect(example).toContain(EXAMPLE_URL);
    const { code, output } = await runPython(python, ['-c', example.replace(EXAMPLE_URL, fleet.gateway.url)], {
      ALTO_API_KEY: SDK_KEYS.pyMain,
    });
    expect(code, output).toBe(0);
    expect(output).toMatch(/^succeeded \[\[/);
  });
});
