// Errors of the Open Inference Protocol: `{"error": "<message>"}` over REST, a status code and
// details over gRPC. Alto's own errors keep their HTTP status (400 for bad input, 404 for an
// unknown model, 429/503 with Retry-After, ...) and map onto the gRPC code of the same meaning;
// a prediction that ended without output answers by why it ended.
import { status as Grpc } from '@grpc/grpc-js';
import { AltoError, httpStatus, type ErrorCode, type PredictionRecord } from '@alto/protocol';
import { asAltoError } from '@alto/queue';

export class OipError extends Error {
  constructor(
    /** The REST status. */
    readonly status: number,
    /** The gRPC status code. */
    readonly grpc: Grpc,
    message: string,
    /** The Alto prediction it concerns, if one was created: still readable at /v1/predictions/{id}. */
    readonly predictionId?: string,
  ) {
    super(message);
    this.name = 'OipError';
  }
}

export function grpcCode(code: ErrorCode): Grpc {
  switch (code) {
    case 'invalid_input':
    case 'invalid_json':
    case 'webhook_refused':
    case 'uri_not_allowed':
    case 'unsupported_media_type':
      return Grpc.INVALID_ARGUMENT;
    case 'unauthorized':
      return Grpc.UNAUTHENTICATED;
    case 'forbidden':
      return Grpc.PERMISSION_DENIED;
    case 'model_not_found':
    case 'version_not_found':
    case 'model_unpublished':
    case 'prediction_not_found':
    case 'not_found':
    case 'batch_not_found':
      return Grpc.NOT_FOUND;
    case 'model_exists':
      return Grpc.ALREADY_EXISTS;
    case 'idempotency_key_reused':
      return Grpc.FAILED_PRECONDITION;
    case 'payload_too_large':
    case 'queue_full':
    case 'storage_full':
    case 'too_many_attempts':
    case 'rate_limited':
    case 'quota_exceeded':
      return Grpc.RESOURCE_EXHAUSTED;
    case 'redis_unavailable':
    case 'control_plane_unavailable':
    case 'model_not_ready':
      return Grpc.UNAVAILABLE;
    case 'internal':
      return Grpc.INTERNAL;
    default: {
      const unhandled: never = code;
      throw new Error(`unhandled error code ${String(unhandled)}`);
    }
  }
}

/** Whatever a handler threw, as an OipError; undefined for a failure of our own (logged, answered 500). */
export function asOipError(err: unknown): OipError | undefined {
  if (err instanceof OipError) return err;
  const e = asAltoError(err);
  if (e instanceof AltoError) return new OipError(httpStatus(e.code), grpcCode(e.code), e.message);
  return undefined;
}

/** The error a finished prediction without output answers with. */
export function predictionError(r: PredictionRecord): OipError {
  const why = r.error ? `${r.error.code}: ${r.error.message}` : r.status;
  const message = `prediction '${r.id}' ${r.status} (${why})`;
  if (r.status === 'canceled') return new OipError(409, Grpc.CANCELLED, message, r.id);
  if (r.status === 'expired' || r.error?.code === 'deadline_exceeded') {
    return new OipError(504, Grpc.DEADLINE_EXCEEDED, message, r.id);
  }
  if (r.error?.code === 'model_unpublished') return new OipError(404, Grpc.NOT_FOUND, message, r.id);
  return new OipError(500, Grpc.INTERNAL, message, r.id);
}

/**
 * A prediction still queued or running when the call stopped holding: the infer limit ran out,
 * or (`shuttingDown`) the gateway is stopping. It goes on either way and can be fetched.
 */
export function stillRunning(r: PredictionRecord, limitSeconds: number, shuttingDown = false): OipError {
  const fetch = `it goes on: fetch it with GET /v1/predictions/${r.id}`;
  if (shuttingDown) {
    return new OipError(
      503,
      Grpc.UNAVAILABLE,
      `prediction '${r.id}' is still ${r.status} as the gateway stops; ${fetch}`,
      r.id,
    );
  }
  return new OipError(
    504,
    Grpc.DEADLINE_EXCEEDED,
    `prediction '${r.id}' is still ${r.status} after ${limitSeconds} s (ALTO_OIP_INFER_TIMEOUT_SECONDS); ${fetch}`,
    r.id,
  );
}
