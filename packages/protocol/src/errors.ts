// Alto's error vocabulary: a stable `code` per failure, mapped to an HTTP status in one
// place (`httpStatus`). Handlers throw AltoError; the gateway renders it once.

export const ERROR_CODES = [
  'invalid_input',
  'invalid_json',
  'webhook_refused',
  'model_not_found',
  'version_not_found',
  'model_unpublished',
  'model_exists',
  'model_not_ready',
  'uri_not_allowed',
  'unauthorized',
  'prediction_not_found',
  'not_found',
  'payload_too_large',
  'queue_full',
  'idempotency_key_reused',
  'unsupported_media_type',
  'redis_unavailable',
  'inference_failed',
  'model_unavailable',
  'shutting_down',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class AltoError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Whether the same request may succeed if sent again later. */
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'AltoError';
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export const invalidInput = (message: string) => new AltoError('invalid_input', message);

export function httpStatus(code: ErrorCode): number {
  switch (code) {
    case 'invalid_input':
    case 'invalid_json':
    case 'webhook_refused':
      return 400;
    case 'uri_not_allowed':
      return 400;
    case 'unauthorized':
      return 401;
    case 'model_not_found':
    case 'version_not_found':
    case 'model_unpublished':
    case 'prediction_not_found':
    case 'not_found':
      return 404;
    case 'payload_too_large':
      return 413;
    case 'unsupported_media_type':
      return 415;
    case 'model_exists':
      return 409;
    case 'idempotency_key_reused':
      return 422;
    case 'queue_full':
      return 429;
    case 'redis_unavailable':
    case 'model_unavailable':
    case 'model_not_ready':
    case 'shutting_down':
      return 503;
    case 'inference_failed':
    case 'internal':
      return 500;
    default: {
      const unhandled: never = code;
      throw new Error(`unhandled error code ${String(unhandled)}`);
    }
  }
}
