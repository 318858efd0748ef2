// W3C traceparent parsing and writing (https://www.w3.org/TR/trace-context/#traceparent-header),
// and the settings that turn tracing on.
import { describe, expect, it } from 'vitest';
import { formatTraceparent, parseTraceparent, traceIdOf } from './trace-context.ts';
import { tracingSettings } from './tracing.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('parses the example of the spec and writes it back the same', () => {
    const sc = parseTraceparent(`00-${TRACE}-${SPAN}-01`);
    expect(sc).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true });
    expect(formatTraceparent(sc)).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(traceIdOf(`00-${TRACE}-${SPAN}-00`)).toBe(TRACE);
  });

  it('keeps only the sampled flag and accepts a later version with more fields', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-03`)?.traceFlags).toBe(1);
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-extra`)?.traceId).toBe(TRACE);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['upper case', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['version 00 with a fifth field', `00-${TRACE}-${SPAN}-01-x`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
  ])('ignores an invalid header (%s)', (_what, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it('writes nothing for an invalid span context', () => {
    expect(formatTraceparent(undefined)).toBeUndefined();
    expect(formatTraceparent({ traceId: '0'.repeat(32), spanId: SPAN, traceFlags: 1 })).toBeUndefined();
  });
});

describe('tracingSettings', () => {
  it('is off without an OTLP endpoint', () => {
    expect(tracingSettings('gateway', {})).toEqual({ enabled: false, serviceName: 'alto-gateway' });
  });

  it('is on with the general or the traces endpoint, named by OTEL_SERVICE_NAME when set', () => {
    expect(tracingSettings('worker', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).enabled).toBe(true);
    expect(
      tracingSettings('worker', {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces',
        OTEL_SERVICE_NAME: 'w',
      }),
    ).toEqual({ enabled: true, serviceName: 'w' });
  });

  it('stays off when the SDK or the traces exporter is disabled', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(tracingSettings('gateway', { ...endpoint, OTEL_SDK_DISABLED: 'TRUE' }).enabled).toBe(false);
    expect(tracingSettings('gateway', { ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(false);
  });
});
