// How OIP answers failures: Alto's codes keep their HTTP status and map to the gRPC code of the
// same meaning; a finished prediction without output answers by why it ended.
import { status as Grpc } from '@grpc/grpc-js';
import { AltoError, ERROR_CODES, httpStatus, type PredictionRecord } from '@alto/protocol';
import { describe, expect, it } from 'vitest';
import { asOipError, grpcCode, predictionError, stillRunning } from './errors.ts';
import { inferOptions } from './infer.ts';

const record = (over: Partial<PredictionRecord>): PredictionRecord => ({
  id: 'tiny-01',
  model: 'tiny',
  version: '1',
  status: 'failed',
  format: 'json',
  output: null,
  error: null,
  createdAt: 0,
  startedAt: null,
  completedAt: null,
  queueMs: null,
  predictMs: null,
  batchSize: null,
  ...over,
});

describe('OIP errors', () => {
  it('maps every Alto error code to a gRPC code whose class agrees with its HTTP status', () => {
    for (const code of ERROR_CODES) {
      const g = grpcCode(code);
      const status = httpStatus(code);
      if (status === 400 || status === 415) expect(g, code).toBe(Grpc.INVALID_ARGUMENT);
      if (status === 404) expect(g, code).toBe(Grpc.NOT_FOUND);
      if (status === 503) expect([Grpc.UNAVAILABLE, Grpc.RESOURCE_EXHAUSTED], code).toContain(g);
    }
    const e = asOipError(new AltoError('queue_full', 'full'))!;
    expect([e.status, e.grpc, e.message]).toEqual([429, Grpc.RESOURCE_EXHAUSTED, 'full']);
    expect(asOipError(new Error('bug'))).toBeUndefined();
  });

  it('answers a finished prediction by why it ended, naming it', () => {
    const failed = predictionError(record({ error: { code: 'inference_failed', message: 'boom' } }));
    expect([failed.status, failed.grpc, failed.predictionId]).toEqual([500, Grpc.INTERNAL, 'tiny-01']);
    expect(failed.message).toBe("prediction 'tiny-01' failed (inference_failed: boom)");
    expect(predictionError(record({ status: 'expired' })).grpc).toBe(Grpc.DEADLINE_EXCEEDED);
    expect(predictionError(record({ status: 'canceled' })).status).toBe(409);
    const late = stillRunning(record({ status: 'running' }), 60);
    expect([late.status, late.grpc]).toEqual([504, Grpc.DEADLINE_EXCEEDED]);
    expect(late.message).toMatch(/^prediction 'tiny-01' is still running after 60 s/);
    const stopping = stillRunning(record({ status: 'queued' }), 60, true);
    expect([stopping.status, stopping.grpc]).toEqual([503, Grpc.UNAVAILABLE]);
    expect(stopping.message).toBe(
      "prediction 'tiny-01' is still queued as the gateway stops; it goes on: fetch it with GET /v1/predictions/tiny-01",
    );
  });
});

describe('inferOptions', () => {
  it('takes Alto priorities and a timeout in microseconds, ignoring parameters it does not know', () => {
    expect(inferOptions({ priority: 'high', timeout: 1500, custom: 'x' })).toEqual({ priority: 'high', timeoutMs: 2 });
    expect(inferOptions({ priority: 0 })).toEqual({});
  });

  it('refuses integer priorities, bad timeouts and sequences, saying what it takes', () => {
    expect(() => inferOptions({ priority: 1 })).toThrow(
      "parameter 'priority': expected one of high, normal, low (or 0 for the default), got 1",
    );
    expect(() => inferOptions({ timeout: -5 })).toThrow(
      "parameter 'timeout': expected a positive integer of microseconds, got -5",
    );
    expect(() => inferOptions({ sequence_id: 3 })).toThrow(
      "parameter 'sequence_id': sequences (stateful models) are not supported, got 3",
    );
  });
});
