// What the chaos runners share: starting one of Alto's apps from source, and polling a
// condition until it holds or a deadline passes.
import { fileURLToPath } from 'node:url';
import { startProc, type Proc } from '@alto/procs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts apps/<name> with `env`, resolved once its output matches `ready`. */
export const startApp = (name: string, env: Record<string, string>, ready: RegExp): Promise<Proc> =>
  startProc(process.execPath, ['--import', 'tsx', `apps/${name}/src/main.ts`], {
    name,
    cwd: ROOT,
    ready,
    timeoutMs: 120_000,
    outputLimit: 256 * 1024,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
  });

export async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Submits one prediction (no Prefer: wait), giving up after 5 s as a client would. */
export const submit = (url: string, body: string | Buffer): Promise<Response> =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(5000),
  });
