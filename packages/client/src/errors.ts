// The one error type of @alto/client. `code` is one of the API's error codes (the `error.code`
// of a non-2xx reply, `status` its HTTP status) or one of CLIENT_ERROR_CODES for failures that
// never reached an answer (`status` null). Switch over `code`; messages are for people.

/** The API's error codes, as the gateway's ERROR_CODES lists them (a test holds the two equal). */
export const API_ERROR_CODES = [
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
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/**
 * Failures the client itself reports: no connection or no answer (`network_error`), a
 * request past its `timeoutMs` (`timeout`), a caller's AbortSignal (`aborted`), a reply that
 * is not the API's (`invalid_response`), a webhook delivery that does not verify
 * (`invalid_signature`). Tensors refused before sending are `invalid_input` with status null.
 */
export const CLIENT_ERROR_CODES = [
  'network_error',
  'timeout',
  'aborted',
  'invalid_response',
  'invalid_signature',
] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

export type ErrorCode = ApiErrorCode | ClientErrorCode;

export class AltoError extends Error {
  /** What the reply's Retry-After header asked for (429 and 503), in ms. */
  retryAfterMs?: number;
  /** The body of the non-2xx reply, as received (its first 4 KiB). */
  body?: string;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** HTTP status of the reply; null when the error arose in the client. */
    readonly status: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AltoError';
  }

  /** Whether sending the same request again later may succeed (503, 429, network failures). */
  get retryable(): boolean {
    return this.status === 503 || this.status === 429 || this.code === 'network_error' || this.code === 'timeout';
  }
}

const isApiCode = (code: unknown): code is ApiErrorCode =>
  typeof code === 'string' && (API_ERROR_CODES as readonly string[]).includes(code);

/** The error of a non-2xx reply; a body that is not `{"error": {"code", "message"}}` is named as such. */
export function replyError(status: number, text: string, what: string): AltoError {
  let err: AltoError | undefined;
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    if (isApiCode(e?.code) && typeof e.message === 'string') err = new AltoError(e.code, e.message, status);
  } catch {
    // not JSON: reported below
  }
  if (!err) {
    const first = text.trim().split('\n')[0]?.slice(0, 200);
    err = new AltoError('invalid_response', `${what}: HTTP ${status}${first ? `: ${first}` : ''}`, status);
  }
  err.body = text.slice(0, 4096);
  return err;
}

export const invalidInput = (message: string) => new AltoError('invalid_input', message);
