// The one place errors become HTTP responses: {"error": {"code", "message"}}. That holds
// for requests refused before the app sees them too: malformed HTTP (Node's parser) and
// requests @hono/node-server cannot turn into a Request (a bad Host header).
import type { Duplex } from 'node:stream';
import { RequestError } from '@hono/node-server';
import { AltoError, errorJson, errorModel, httpStatus } from '@alto/protocol';
import { asAltoError } from '@alto/queue';
import type { Logger } from '@alto/telemetry';

/** The gateway's app.onError and app.notFound. */
export const gatewayErrors = (log: Logger) => errorModel({ log, convert: asAltoError, bearerRealm: 'alto' });

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
  return new Response(errorJson(e), { status: httpStatus(e.code), headers: { 'content-type': 'application/json' } });
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
  const body = errorJson(new AltoError('invalid_input', `request: not valid HTTP/1.1 (${err.message})`));
  const head = `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close`;
  socket.end(`HTTP/1.1 400 Bad Request\r\n${head}\r\n\r\n${body}`);
}
