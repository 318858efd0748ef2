export { createLogger, type Logger, type LoggerOptions } from './logger.ts';
export { createRegistry, Counter, Gauge, Histogram, Registry, MS_BUCKETS, BATCH_BUCKETS } from './metrics.ts';
export {
  failSpan,
  inSpan,
  startTracing,
  tracer,
  tracingEnabled,
  tracingSettings,
  type Tracing,
  type TracingSettings,
} from './tracing.ts';
export { contextFrom, formatTraceparent, parseTraceparent, traceIdOf } from './trace-context.ts';
export {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
export { startServerSpan, type ServerSpan } from './server-span.ts';
export type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-node';
