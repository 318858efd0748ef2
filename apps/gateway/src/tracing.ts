// A SERVER span per HTTP request (see startServerSpan), kept for the handlers: the prediction
// routes hang their validate and enqueue spans under it, and the admin proxy passes it on.
import {
  ROOT_CONTEXT,
  formatTraceparent,
  startServerSpan,
  trace,
  tracer,
  type Context as TraceContext,
} from '@alto/telemetry';
import type { Context, MiddlewareHandler } from 'hono';

export const gatewayTracer = tracer('gateway');

const contexts = new WeakMap<Request, TraceContext>();

/** The trace context of the request being served: its SERVER span. */
export const requestTrace = (c: Context): TraceContext => contexts.get(c.req.raw) ?? ROOT_CONTEXT;

/** The `traceparent` a downstream call of this request sends (the admin proxy's). */
export const downstreamTraceparent = (c: Context): string | undefined =>
  formatTraceparent(trace.getSpanContext(requestTrace(c)));

export const traceRequests: MiddlewareHandler = async (c, next) => {
  const span = startServerSpan(gatewayTracer, c.req.method, c.req.header('traceparent'));
  contexts.set(c.req.raw, span.context);
  try {
    await next();
  } finally {
    span.end(c.req.routePath || 'unmatched', c.req.path, c.res.status);
  }
};
