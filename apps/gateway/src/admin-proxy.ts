// Passes /v1/admin/* through to the publisher, so one address serves predictions and the
// admin API (the CLI's ALTO_URL). The publisher checks the admin token itself. Bodies stream
// both ways: nothing is buffered here. The client's address is appended to X-Forwarded-For,
// which the publisher reads from its trusted proxies (limits on failed logins, audit log).
import type { IncomingMessage } from 'node:http';
import { AltoError } from '@alto/protocol';
import type { Context } from 'hono';

/** Headers about one connection, not the message: never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
];

const forwarded = (from: Headers): Headers => {
  const headers = new Headers(from);
  for (const name of HOP_BY_HOP) headers.delete(name);
  return headers;
};

/**
 * A handler that answers with the publisher's reply to the same request. `traceparent` gives
 * the trace context to send on (the gateway's span of the request), replacing the caller's.
 */
export function adminProxy(
  publisherUrl: string,
  traceparent: (c: Context) => string | undefined = () => undefined,
): (c: Context) => Promise<Response> {
  return async (c) => {
    const url = new URL(c.req.url);
    const target = new URL(url.pathname + url.search, publisherUrl);
    const req = c.req.raw;
    const headers = forwarded(req.headers);
    const tp = traceparent(c);
    if (tp) headers.set('traceparent', tp);
    // The body streams through; its length, if the client gave one, is the length it streams.
    headers.delete('content-length');
    const peer = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket?.remoteAddress;
    if (peer) {
      const before = headers.get('x-forwarded-for');
      headers.set('x-forwarded-for', before ? `${before}, ${peer}` : peer);
    }
    let up: Response;
    try {
      up = await fetch(target, {
        method: req.method,
        headers,
        redirect: 'manual',
        signal: req.signal,
        ...(req.body ? { body: req.body, duplex: 'half' } : {}),
      } as RequestInit);
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause;
      throw new AltoError(
        'control_plane_unavailable',
        `the publisher at ${publisherUrl} cannot be reached: ${(cause ?? (err as Error)).message}`,
        true,
      );
    }
    const back = forwarded(up.headers);
    if (back.has('content-encoding')) {
      // fetch hands over the body decoded.
      back.delete('content-encoding');
      back.delete('content-length');
    }
    return new Response(up.body, { status: up.status, statusText: up.statusText, headers: back });
  };
}
