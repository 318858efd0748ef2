// Which runtimes a worker reports: xla only once a whole install is in its venv (the install
// script writes the stamp last), and never with ALTO_XLA_RUNTIME=off.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@alto/telemetry';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEnv } from './env.ts';
import { WorkerRuntimes } from './xla.ts';

const log = createLogger({ name: 'test', level: 'silent' });
const dirs: string[] = [];
const venv = () => {
  const d = mkdtempSync(join(tmpdir(), 'alto-venv-'));
  dirs.push(d);
  return d;
};
const runtimes = (vars: Record<string, string>) =>
  new WorkerRuntimes(loadEnv({ REDIS_URL: 'redis://127.0.0.1:6379', ...vars }), log);

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('WorkerRuntimes', () => {
  it('reports onnx only while the venv holds no finished install, and xla once its stamp is written', () => {
    const dir = venv();
    const r = runtimes({ ALTO_XLA_VENV: dir });
    expect(r.available()).toEqual(['onnx']);
    expect(() => r.xla()).toThrow(
      `this worker has no XLA runtime: ${dir} is not installed (run scripts/install-xla-runtime.sh)`,
    );
    writeFileSync(join(dir, '.alto-stamp'), 'abc\n');
    expect(r.available()).toEqual(['onnx', 'xla']);
    expect(r.has('xla')).toBe(true);
  });

  it('reports onnx only with ALTO_XLA_RUNTIME=off, installed or not', () => {
    const dir = venv();
    writeFileSync(join(dir, '.alto-stamp'), 'abc\n');
    const r = runtimes({ ALTO_XLA_VENV: dir, ALTO_XLA_RUNTIME: 'off' });
    expect(r.available()).toEqual(['onnx']);
    expect(() => r.xla()).toThrow('ALTO_XLA_RUNTIME=off');
  });
});
