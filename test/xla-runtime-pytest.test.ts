// The XLA runtime's own pytest suite (runtimes/xla/tests), run once by `npm test` through
// scripts/test-xla-runtime.sh, which installs the runtime first; fails with pytest's output.
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { ROOT, XLA_INSTALL_TIMEOUT_MS } from './support/xla.ts';

it(
  'the XLA runtime passes its pytest suite',
  () => {
    const r = spawnSync('bash', [`${ROOT}scripts/test-xla-runtime.sh`], {
      encoding: 'utf8',
      timeout: XLA_INSTALL_TIMEOUT_MS,
    });
    const output = `${r.stdout}\n${r.stderr}`.trim();
    expect(r.status, output.slice(-6000)).toBe(0);
    expect(output).toMatch(/\d+ passed/);
  },
  XLA_INSTALL_TIMEOUT_MS,
);
