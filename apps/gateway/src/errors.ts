// The one place errors become HTTP responses: {"error": {"code", "message"}}.
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
  if (status === 503) headers['retry-after'] = '1';
  return c.json({ error: alto.toJSON() }, status as 400, headers);
}
