// Where the fleet is and which credentials to send: a flag wins over the environment, and the
// admin token falls back to `.alto/admin-token`, which the all-in-one launcher writes.
// The environment is read here only. Unknown ALTO_* variables are not an error for the CLI:
// a shell that runs it often also holds the servers' own variables.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, EXIT, usageError } from './exit.ts';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
export const ADMIN_TOKEN_FILE = '.alto/admin-token';

export type Env = Record<string, string | undefined>;

const fromEnv = (env: Env, name: string) => (env[name] ? env[name] : undefined);

/** The base URL without a trailing slash; `--url` beats ALTO_URL. */
export function resolveUrl(flag: string | undefined, env: Env): string {
  const raw = flag ?? fromEnv(env, 'ALTO_URL') ?? DEFAULT_URL;
  const from = flag !== undefined ? '--url' : env.ALTO_URL ? 'ALTO_URL' : 'the default URL';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`${from}: expected a URL such as ${DEFAULT_URL}, got '${raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`${from}: expected an http:// or https:// URL, got '${raw}'`);
  }
  if (url.search || url.hash) throw usageError(`${from}: expected a URL without query or fragment, got '${raw}'`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

export function resolveApiKey(flag: string | undefined, env: Env): string | undefined {
  return flag ?? fromEnv(env, 'ALTO_API_KEY');
}

/** `--admin-token`, else ALTO_ADMIN_TOKEN, else `.alto/admin-token` in `cwd` when present. */
export function resolveAdminToken(flag: string | undefined, env: Env, cwd: string): string | undefined {
  const given = flag ?? fromEnv(env, 'ALTO_ADMIN_TOKEN');
  if (given !== undefined) return given;
  const file = join(cwd, ADMIN_TOKEN_FILE);
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(EXIT.usage, `cannot read ${file}: ${(err as Error).message}`);
  }
}
