// HTTP to the gateway (predictions, through @alto/client) and the admin API, and the one place
// where a failed exchange becomes an exit code: refused → 1, unreachable → 3, 401/403 → 4.
import { AltoClient, AltoError } from '@alto/client';
import { CliError, EXIT } from './exit.ts';

export interface ClientOptions {
  /** Origin of the fleet, without a trailing slash, e.g. `http://127.0.0.1:8080`. */
  url: string;
  adminToken?: string;
  apiKey?: string;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** @default 30_000 */
  timeoutMs?: number;
}

export type Api = 'admin' | 'gateway';

export class Client {
  private predictions?: AltoClient;

  constructor(private readonly o: ClientOptions) {}

  get url(): string {
    return this.o.url;
  }

  /** Runs `call` with the gateway's client (the API key set); its failures become exit codes. */
  async gateway<T>(call: (client: AltoClient) => Promise<T>): Promise<T> {
    this.predictions ??= new AltoClient({ url: this.o.url, ...(this.o.apiKey ? { apiKey: this.o.apiKey } : {}) });
    try {
      return await call(this.predictions);
    } catch (err) {
      if (!(err instanceof AltoError)) throw err;
      if (err.status !== null) {
        const ctx = { url: this.o.url, api: 'gateway' as const, credential: Boolean(this.o.apiKey) };
        throw replyError(err.status, err.body ?? '', ctx);
      }
      if (err.code === 'timeout') throw new CliError(EXIT.unreachable, err.message);
      if (err.code === 'network_error') throw failureError(err.cause ?? err, this.o.url, 0);
      throw new CliError(EXIT.refused, err.message);
    }
  }

  /** `path` of the gateway's API beyond predictions, e.g. `/v1/batches`. Sends the API key. */
  request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return this.send<T>('gateway', method, path, this.o.apiKey, opts);
  }

  /** `path` is below `/v1/admin`, e.g. `/models`. Sends the admin token. */
  admin<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return this.send<T>('admin', method, `/v1/admin${path}`, this.o.adminToken, opts);
  }

  private async send<T>(
    api: Api,
    method: string,
    path: string,
    token: string | undefined,
    opts: RequestOptions,
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const timeoutMs = opts.timeoutMs ?? 30_000;
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.o.url}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw failureError(err, this.o.url, timeoutMs);
    }
    if (!res.ok) throw replyError(res.status, text, { url: this.o.url, api, credential: Boolean(token) });
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(EXIT.refused, `unexpected reply from ${this.o.url}${path} (HTTP ${res.status}): not JSON`);
    }
  }
}

const HINT: Record<Api, { missing: string; wrong: string }> = {
  admin: {
    missing: 'no admin token: give --admin-token, set ALTO_ADMIN_TOKEN, or run where .alto/admin-token exists',
    wrong: 'check the admin token',
  },
  gateway: { missing: 'no API key: give --api-key or set ALTO_API_KEY', wrong: 'check the API key' },
};

/** The error for a non-2xx reply; the body is `{"error": {"code", "message"}}` when it comes from Alto. */
export function replyError(
  status: number,
  text: string,
  ctx: { url: string; api: Api; credential: boolean },
): CliError {
  let message: string;
  const error = parseErrorBody(text);
  if (error) {
    message = `${error.code}: ${error.message}`;
  } else {
    const first = text.trim().split('\n')[0]?.slice(0, 200);
    message = `HTTP ${status} from ${ctx.url}${first ? `: ${first}` : ''}`;
  }
  if (status === 401 || status === 403) {
    const hint = ctx.credential ? HINT[ctx.api].wrong : HINT[ctx.api].missing;
    return new CliError(EXIT.unauthorized, `${message} (${hint})`);
  }
  return new CliError(EXIT.refused, message);
}

function parseErrorBody(text: string): { code: string; message: string } | undefined {
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof e?.code === 'string' && typeof e.message === 'string') return { code: e.code, message: e.message };
  } catch {
    // not JSON: the caller shows the text itself
  }
  return undefined;
}

const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
};

/** The error for a request that got no reply: exit 3, naming the URL. */
export function failureError(err: unknown, url: string, timeoutMs: number): CliError {
  if (err instanceof CliError) return err;
  const e = err as {
    name?: string;
    message?: string;
    cause?: { code?: string; message?: string; errors?: { code?: string }[] };
  };
  if (e?.name === 'TimeoutError')
    return new CliError(EXIT.unreachable, `no answer from ${url} within ${timeoutMs / 1000}s`);
  const code = e?.cause?.code ?? e?.cause?.errors?.[0]?.code;
  const why = (code && NETWORK[code]) ?? e?.cause?.message ?? e?.message ?? String(err);
  return new CliError(EXIT.unreachable, `cannot reach ${url}: ${why}`);
}
