// Start-up refusals an operator must be able to act on.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/fleet.ts';

const run = (app: string, env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', `apps/${app}/src/main.ts`], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 30_000,
  });

describe('start-up configuration', () => {
  it('refuses an unknown ALTO_ variable, naming the closest valid one', () => {
    const r = run('gateway', { ALTO_MAX_BODY_BYTE: '10' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown variable ALTO_MAX_BODY_BYTE (did you mean ALTO_MAX_BODY_BYTES?)');
  });

  it('refuses an invalid value, naming the variable and the value', () => {
    const r = run('worker', { ALTO_EXECUTION_PROVIDER: 'gpu' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/ALTO_EXECUTION_PROVIDER: .*\(got 'gpu'\)/);
  });

  it('the launcher accepts gateway and worker variables but not typos of them', () => {
    const r = run('fleet', { ALTO_INTRA_OP_THREAD: '1' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('did you mean ALTO_INTRA_OP_THREADS?');
  });
});
