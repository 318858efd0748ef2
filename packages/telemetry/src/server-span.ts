// The SERVER span of one HTTP request, child of the caller's W3C `traceparent` when it sends
// one (an invalid header is ignored, as the spec requires). With tracing off it is the API's
// no-op span, which still carries the caller's trace context to what the request does.
import { SpanKind, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import { contextFrom } from './trace-context.ts';
import { tracingEnabled } from './tracing.ts';

export interface ServerSpan {
  /** The context of the request's work: the span, under the caller's trace. */
  readonly context: Context;
  /** Names the span after its route (`GET /v1/models/{model}`), records the status, ends it. */
  end(route: string, path: string, status: number): void;
}

const NOTHING = () => {};

export function startServerSpan(t: Tracer, method: string, traceparent: string | undefined): ServerSpan {
  const parent = contextFrom(traceparent);
  // Off: no span; the caller's context alone goes on.
  if (!tracingEnabled()) return { context: parent, end: NOTHING };
  const span = t.startSpan(method, { kind: SpanKind.SERVER }, parent);
  return {
    context: trace.setSpan(parent, span),
    end(route, path, status) {
      if (span.isRecording()) {
        span.updateName(`${method} ${route}`);
        span.setAttributes({
          'http.request.method': method,
          'http.route': route,
          'url.path': path,
          'http.response.status_code': status,
        });
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}
