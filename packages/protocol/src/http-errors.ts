// The one error middleware of Alto's HTTP APIs (the gateway's and the publisher's admin API):
// every failure becomes `{"error": {"code", "message"}}` with the status httpStatus gives its
// code. Handlers throw AltoError; nothing builds an error response by hand.
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AltoError, httpStatus } from './errors.ts';

/** The two levels the middleware logs at (a pino logger fits). */
export interface ErrorLog {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface ErrorModelOptions {
  log: ErrorLog;
  /**
   * Turns what a library threw into an AltoError where it knows one (Redis unreachable, a
   * checkpoint URI refused); what is still not an AltoError afterwards is logged and answered
   * as `internal`. @default the identity
   */
  convert?: (err: unknown) => unknown;
  /** Sends `WWW-Authenticate: Bearer realm="<realm>"` with a 401. @default none */
  bearerRealm?: string;
}

/** The body of an error response. */
export const errorJson = (e: AltoError) => JSON.stringify({ error: e.toJSON() });

/** The AltoError a failure is answered with. */
export function asResponseError(err: unknown, c: Context, o: ErrorModelOptions): AltoError {
  const e = o.convert ? o.convert(err) : err;
  if (e instanceof AltoError) {
    if (e.code === 'redis_unavailable') o.log.warn({ err: e.message, path: c.req.path }, 'Redis unavailable');
    return e;
  }
  if (e instanceof HTTPException) {
    // Hono's own refusals (e.g. a body it cannot read) are the client's doing.
    return new AltoError(e.status === 413 ? 'payload_too_large' : 'invalid_input', e.message || 'bad request');
  }
  o.log.error({ err, method: c.req.method, path: c.req.path }, 'unhandled error');
  return new AltoError('internal', 'internal error');
}

/** The headers an error's status calls for: Retry-After with 429 and 503, WWW-Authenticate with 401. */
export function errorHeaders(status: number, bearerRealm?: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (status === 503 || status === 429) headers['retry-after'] = '1';
  if (status === 401 && bearerRealm) headers['www-authenticate'] = `Bearer realm="${bearerRealm}"`;
  return headers;
}

export function errorResponse(e: AltoError, c: Context, o: Pick<ErrorModelOptions, 'bearerRealm'> = {}): Response {
  const status = httpStatus(e.code);
  const headers = errorHeaders(status, o.bearerRealm);
  if (e.retryAfterS !== undefined && headers['retry-after']) headers['retry-after'] = String(e.retryAfterS);
  return c.json({ error: e.toJSON() }, status as 400, headers);
}

/** app.onError and app.notFound of an API. */
export function errorModel(o: ErrorModelOptions): { onError: ErrorHandler; notFound: NotFoundHandler } {
  return {
    onError: (err, c) => errorResponse(asResponseError(err, c, o), c, o),
    notFound: (c) => errorResponse(new AltoError('not_found', `no route ${c.req.method} ${c.req.path}`), c, o),
  };
}
