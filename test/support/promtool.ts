// promtool (Prometheus's rule checker) for the alert rules test. The e2e setup builds it with
// Go into .alto/tools/bin when no copy is found in there or on PATH (Debian's `prometheus`
// package has one too); without either the test is skipped, saying so.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { TOOLS_BIN } from './fake-gcs.ts';

const BIN = 'promtool';
const PACKAGE = 'github.com/prometheus/prometheus/cmd/promtool';
/** Prometheus v3.x's Go module version. */
const VERSION = 'v0.316.0';

const hasGo = () => spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;

/** Path of promtool in .alto/tools/bin or on PATH, or undefined. */
export function findPromtool(): string | undefined {
  for (const d of [TOOLS_BIN, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)]) {
    const p = join(d, BIN);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Finds promtool or builds it (once); undefined, said why, when there is no Go to build it. */
export function ensurePromtool(say: (line: string) => void): string | undefined {
  const found = findPromtool();
  if (found) return found;
  if (!hasGo()) {
    say(`${BIN} is missing and Go is not installed to build it; the alert rules test will be skipped`);
    return undefined;
  }
  say(`${BIN} is missing; building ${PACKAGE}@${VERSION} into .alto/tools/bin (once)`);
  const r = spawnSync('go', ['install', `${PACKAGE}@${VERSION}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: TOOLS_BIN, GOTOOLCHAIN: process.env.GOTOOLCHAIN || 'auto' },
  });
  const built = join(TOOLS_BIN, BIN);
  if (r.status !== 0 || !existsSync(built)) {
    say(`building ${BIN} failed (go install exited ${r.status ?? r.signal}); the alert rules test will be skipped`);
    return undefined;
  }
  return built;
}
