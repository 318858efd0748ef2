// The XLA runtime for tests: installed once into .alto/xla-venv by the project's own script
// (cached by its stamp, so later calls return at once), with the test extras, so the pytest
// suite and the TypeScript tests share one install.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** First install: jax and its wheels, a few minutes on a slow network. */
export const XLA_INSTALL_TIMEOUT_MS = 900_000;

let python: string | undefined;

/** The venv's interpreter, installing the runtime first when it is missing or stale. */
export function xlaPython(): string {
  python ??= execFileSync('bash', [`${ROOT}scripts/install-xla-runtime.sh`, '--test'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: XLA_INSTALL_TIMEOUT_MS,
  })
    .trim()
    .split('\n')
    .pop()!;
  return python;
}

/** The committed demo export of `name` (models/<name>/1). */
export const xlaModelDir = (name: string) => `${ROOT}models/${name}/1`;
