// Alto's error vocabulary, in two lists that never mix: ERROR_CODES are what an HTTP API
// answers with (`{"error": {"code", "message"}}`, each code one cause, its status fixed in
// `httpStatus`); OUTCOME_CODES are why a prediction ended without output (its `error.code`).
// Handlers throw AltoError; http-errors.ts renders it once.

export const ERROR_CODES = [
  'invalid_input',
  'invalid_json',
  'webhook_refused',
  'uri_not_allowed',
  'unauthorized',
  'model_not_found',
  'version_not_found',
  'prediction_not_found',
  'not_found',
  'model_unpublished',
  'model_exists',
  'payload_too_large',
  'unsupported_media_type',
  'idempotency_key_reused',
  'queue_full',
  'storage_full',
  'model_not_ready',
  'redis_unavailable',
  'control_plane_unavailable',
  'internal',
  'forbidden',
  'too_many_attempts',
  'rate_limited',
  'quota_exceeded',
  'batch_not_found',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Why a prediction failed or expired: the `error.code` of its record. The worker writes
 * `inference_failed`; the queue's Lua scripts write the others as these same strings
 * (`deadline_exceeded` when the deadline passed, `poison` when its deliveries kept dying,
 * `model_unpublished` when the model went away before it started).
 */
export const OUTCOME_CODES = [
  'inference_failed',
  'deadline_exceeded',
  'poison',
  'model_unpublished',
  // Tensors by reference (docs/payloads.md), written by the worker:
  'input_not_found',
  'input_too_large',
  'input_invalid',
  'input_unreadable',
  'output_write_failed',
] as const;

export type OutcomeCode = (typeof OUTCOME_CODES)[number];

export const isOutcomeCode = (code: string): code is OutcomeCode => (OUTCOME_CODES as readonly string[]).includes(code);

export class AltoError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Whether the same request may succeed if sent again later. */
    readonly retryable = false,
    /** Seconds to send as Retry-After (429 and 503 send 1 otherwise). */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'AltoError';
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** A prediction's failure, thrown where inference runs; its code becomes the record's error.code. */
export class PredictionFailure extends Error {
  constructor(
    readonly code: OutcomeCode,
    message: string,
  ) {
    super(message);
    this.name = 'PredictionFailure';
  }
}

export const invalidInput = (message: string) => new AltoError('invalid_input', message);

export function httpStatus(code: ErrorCode): number {
  switch (code) {
    case 'invalid_input':
    case 'invalid_json':
    case 'webhook_refused':
    case 'uri_not_allowed':
      return 400;
    case 'unauthorized':
      return 401;
    case 'forbidden':
      return 403;
    case 'model_not_found':
    case 'version_not_found':
    case 'model_unpublished':
    case 'prediction_not_found':
    case 'not_found':
    case 'batch_not_found':
      return 404;
    case 'model_exists':
      return 409;
    case 'payload_too_large':
      return 413;
    case 'unsupported_media_type':
      return 415;
    case 'idempotency_key_reused':
      return 422;
    case 'queue_full':
    case 'too_many_attempts':
    case 'rate_limited':
    case 'quota_exceeded':
      return 429;
    case 'internal':
      return 500;
    case 'redis_unavailable':
    case 'control_plane_unavailable':
    case 'model_not_ready':
    case 'storage_full':
      return 503;
    default: {
      const unhandled: never = code;
      throw new Error(`unhandled error code ${String(unhandled)}`);
    }
  }
}
