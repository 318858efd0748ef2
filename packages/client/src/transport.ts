// One HTTP exchange with the API, retried where that is safe: a request that got no answer
// (connection refused or dropped, no reply in time) and a 503 are sent again with backoff, the same
// bytes and headers each time, so a POST carrying an Idempotency-Key creates one prediction
// however many times it is sent. What is not retried ends as an AltoError.
import { AltoError, replyError } from './errors.ts';

export interface TransportOptions {
  url: string;
  apiKey?: string;
  /** Attempts after the first for network errors and 503. */
  retries: number;
  /** Per attempt, including reading the reply. */
  timeoutMs: number;
  fetch: typeof fetch;
  /** First backoff; doubled each retry, with jitter. */
  backoffMs: number;
}

export interface Exchange {
  method: 'GET' | 'POST';
  path: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Overrides the transport's timeoutMs for this request (a long Prefer: wait). */
  timeoutMs?: number;
  /** Whether sending it twice is harmless: GETs, and POSTs with an Idempotency-Key. */
  retry: boolean;
}

export interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(aborted(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(aborted(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

const aborted = (signal: AbortSignal) =>
  new AltoError('aborted', `request aborted: ${String((signal.reason as Error)?.message ?? signal.reason)}`, null, {
    cause: signal.reason,
  });

/** Seconds of a Retry-After header (delta-seconds or an HTTP date), in ms; undefined when absent. */
function retryAfterMs(h: string | null): number | undefined {
  if (!h) return undefined;
  if (/^\d+$/.test(h.trim())) return Number(h.trim()) * 1000;
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export class Transport {
  constructor(readonly o: TransportOptions) {}

  async send<T>(x: Exchange): Promise<Reply<T>> {
    const what = `${x.method} ${this.o.url}${x.path}`;
    for (let attempt = 0; ; attempt++) {
      let failure: AltoError;
      let wait: number | undefined;
      try {
        return await this.once<T>(x, what);
      } catch (err) {
        if (!(err instanceof AltoError)) throw err;
        failure = err;
        wait = err.retryAfterMs;
      }
      const retryable = failure.code === 'network_error' || failure.code === 'timeout' || failure.status === 503;
      if (!x.retry || !retryable || attempt >= this.o.retries) throw failure;
      const backoff = this.o.backoffMs * 2 ** attempt * (0.8 + 0.4 * Math.random());
      await sleep(Math.min(Math.max(wait ?? 0, backoff), 30_000), x.signal);
    }
  }

  private async once<T>(x: Exchange, what: string): Promise<Reply<T>> {
    const timeoutMs = x.timeoutMs ?? this.o.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = x.signal ? AbortSignal.any([x.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json', ...x.headers };
    if (this.o.apiKey) headers.authorization = `Bearer ${this.o.apiKey}`;
    let res: Response;
    let text: string;
    try {
      res = await this.o.fetch(`${this.o.url}${x.path}`, {
        method: x.method,
        headers,
        // string or Uint8Array; the DOM and Node typings spell BodyInit differently.
        ...(x.body === undefined ? {} : { body: x.body as string }),
        signal,
      });
      text = await res.text();
    } catch (err) {
      if (x.signal?.aborted) throw aborted(x.signal);
      if (timeout.aborted)
        throw new AltoError('timeout', `${what}: no answer within ${timeoutMs} ms`, null, { cause: err });
      throw new AltoError('network_error', `${what}: ${networkReason(err)}`, null, { cause: err });
    }
    if (!res.ok) {
      const e = replyError(res.status, text, what);
      const after = retryAfterMs(res.headers.get('retry-after'));
      if (after !== undefined) e.retryAfterMs = after;
      throw e;
    }
    try {
      return { status: res.status, headers: res.headers, body: JSON.parse(text) as T };
    } catch {
      throw new AltoError('invalid_response', `${what}: HTTP ${res.status} reply is not JSON`, res.status);
    }
  }
}

function networkReason(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
  const code = e?.cause?.code ?? e?.cause?.errors?.[0]?.code;
  return (code && NETWORK_CODES[code]) ?? e?.cause?.message ?? e?.message ?? String(err);
}
