// Tracing: the OpenTelemetry SDK exporting spans over OTLP/HTTP, on when the standard
// OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set and off otherwise. Off, the SDK
// is never imported and no span is made: an incoming trace context is only carried along.
// See docs/operations.md for the spans and their attributes.
import {
  INVALID_SPAN_CONTEXT,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';

export interface TracingSettings {
  enabled: boolean;
  /** `service.name` of the spans: OTEL_SERVICE_NAME, else `alto-<component>`. */
  serviceName: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Whether to trace, from the standard OpenTelemetry variables (the exporter reads the rest of
 * them itself: headers, timeouts, OTEL_BSP_* batching, OTEL_TRACES_SAMPLER).
 */
export function tracingSettings(component: string, env: Env): TracingSettings {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || env.OTEL_TRACES_EXPORTER === 'none';
  return {
    enabled: Boolean(endpoint) && !disabled,
    serviceName: env.OTEL_SERVICE_NAME || `alto-${component}`,
  };
}

export interface Tracing {
  readonly enabled: boolean;
  /** Exports the spans ended so far. */
  flush(): Promise<void>;
  /** Exports the spans still buffered and stops; a no-op when tracing is off. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, flush: async () => {}, shutdown: async () => {} };

let enabled = false;

/**
 * Whether this process records spans. Off, callers skip making spans at all: even the API's
 * no-op spans cost ~0.5 µs each through its proxy tracer (bench/tracing-overhead.ts).
 */
export const tracingEnabled = (): boolean => enabled;

/** The span a context holds (a remote parent's, wrapped), or an invalid one: for code that only reads it. */
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Starts the SDK when the settings say so: registers a tracer provider (AsyncLocalStorage
 * context, W3C trace context propagation) whose spans go in batches to the OTLP endpoint.
 */
export async function startTracing(
  settings: TracingSettings,
  /** Where spans go instead of OTLP (tests). @default the OTLP/HTTP exporter */
  options: { exporter?: SpanExporter } = {},
): Promise<Tracing> {
  if (!settings.enabled) return OFF;
  // Imported here only: with tracing off, none of the SDK is loaded.
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, res, semconv] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  const resource = res
    .defaultResource()
    .merge(res.detectResources({ detectors: [res.envDetector] }))
    .merge(res.resourceFromAttributes({ [semconv.ATTR_SERVICE_NAME]: settings.serviceName }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(options.exporter ?? new OTLPTraceExporter())],
  });
  provider.register();
  enabled = true;
  return {
    enabled: true,
    flush: () => provider.forceFlush(),
    async shutdown() {
      enabled = false;
      await provider.shutdown();
    },
  };
}

/** The tracer of one of Alto's components; a no-op tracer until startTracing registers the SDK. */
export function tracer(component: string): Tracer {
  return trace.getTracer(`alto-${component}`);
}

/**
 * Runs `fn` in a span child of `parent`, ending it when `fn` settles; a throw marks the span
 * failed (with the error's message and, for an AltoError, its code) and propagates. With
 * tracing off no span is made: `fn` gets the parent's (possibly a caller's remote span).
 */
export async function inSpan<T>(
  t: Tracer,
  name: string,
  options: SpanOptions,
  parent: Context,
  fn: (span: Span, ctx: Context) => Promise<T>,
): Promise<T> {
  if (!enabled) return fn(trace.getSpan(parent) ?? NO_SPAN, parent);
  const span = t.startSpan(name, options, parent);
  try {
    return await fn(span, trace.setSpan(parent, span));
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** Marks a span failed by `err`. */
export function failSpan(span: Span, err: unknown): void {
  if (!span.isRecording()) return;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') span.setAttribute('alto.error.code', code);
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}
