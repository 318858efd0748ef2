// The one place errors become HTTP responses: {"error": {"code", "message"}}. That holds
// for requests refused before the app sees them too: malformed HTTP (Node's parser) and
// requests @hono/node-server cannot turn into a Request (a bad Host header).
import type { Duplex } from 'node:stream';
import { RequestError } from '@hono/node-server';
import { AltoError, httpStatus } from '@alto/protocol';
import { asAltoError } from '@alto/queue';
import type { Logger } from '@alto/telemetry';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';

export function errorResponse(err: unknown, c: Context, log: Logger): Response {
  let e = asAltoError(err);
  if (e instanceof HTTPException) {
    // Hono's own refusals (e.g. a body it cannot read) are the client's doing.
    e = new AltoError(e.status === 413 ? 'payload_too_large' : 'invalid_input', e.message || 'bad request');
  }
  if (!(e instanceof AltoError)) {
    log.error({ err, method: c.req.method, path: c.req.path }, 'unhandled error');
    e = new AltoError('internal', 'internal error');
  } else if (e.code === 'redis_unavailable') {
    log.warn({ err: e.message, path: c.req.path }, 'Redis unavailable');
  }
  const alto = e as AltoError;
  const status = httpStatus(alto.code);
  const headers: Record<string, string> = {};
  if (status === 503 || status === 429) headers['retry-after'] = '1';
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="alto"';
  return c.json({ error: alto.toJSON() }, status as 400, headers);
}

const errorBody = (e: AltoError) => JSON.stringify({ error: e.toJSON() });

/** @hono/node-server's errorHandler: a request it could not build, e.g. from a bad Host header. */
export function refusedRequest(err: unknown, log: Logger): Response {
  let e: AltoError;
  if (err instanceof RequestError) {
    // The URL is built from the Host header and the target; Node's parser already checked the target's characters.
    const what = /host|invalid url/i.test(err.message) ? "header 'Host'" : 'request target';
    e = new AltoError('invalid_input', `${what}: ${err.message}`);
  } else {
    log.error({ err }, 'unhandled error');
    e = new AltoError('internal', 'internal error');
  }
  return new Response(errorBody(e), { status: httpStatus(e.code), headers: { 'content-type': 'application/json' } });
}

/**
 * The HTTP server's 'clientError' listener: Node's parser refused the bytes (bad framing, a
 * Content-Length that disagrees with the body, garbage). Answers 400 with the error body
 * where Node would answer a bare 400; header overflow (431) and timeouts (408) keep Node's
 * bare answers, as no error code maps to those statuses.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A response already under way on this connection cannot be followed by another status line.
  const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
    socket.destroy();
    return;
  }
  if (err.code === 'HPE_HEADER_OVERFLOW' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '408 Request Timeout';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    return;
  }
  const body = errorBody(new AltoError('invalid_input', `request: not valid HTTP/1.1 (${err.message})`));
  socket.end(
    `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
