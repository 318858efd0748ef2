// The Python side of the tests: protocol clients and SDK tests run from .alto/test-venv,
// installed once by scripts/install-test-venv.sh (cached by its stamp, so later calls return
// at once).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** First install: wheels from PyPI, a few minutes on a slow network. */
export const TEST_VENV_INSTALL_TIMEOUT_MS = 600_000;

let python: string | undefined;

/** The test venv's interpreter, installing it first when it is missing or stale. */
export function testPython(): string {
  python ??= execFileSync('bash', [`${ROOT}scripts/install-test-venv.sh`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: TEST_VENV_INSTALL_TIMEOUT_MS,
  })
    .trim()
    .split('\n')
    .pop()!;
  return python;
}
