// Calls to the console's API: the session cookie goes by itself; state-changing calls carry
// the session's CSRF token. A 401 means the session ended: back to the login form.

export interface SessionInfo {
  name: string;
  scope: 'read' | 'write';
  csrf: string;
  expires_at: string;
  trace_url: string | null;
  sample_interval_ms: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrf = '';
export const setCsrf = (token: string) => (csrf = token);

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  if (method !== 'GET') headers['x-alto-csrf'] = csrf;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let r: Response;
  try {
    r = await fetch(`/console/api${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  } catch (err) {
    throw new ApiError(0, 'network', `the gateway cannot be reached (${(err as Error).message})`);
  }
  const text = await r.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (r.status === 401 && path !== '/session') {
    location.assign('/console/login');
  }
  if (!r.ok) {
    const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(r.status, e?.code ?? 'http', e?.message ?? `HTTP ${r.status}`);
  }
  return body as T;
}
