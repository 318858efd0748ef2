// The one error class of the payload store (objects requests name as inputs and outputs).
// `code` is stable: the worker turns each into a prediction's error code, the gateway into a 400.
export const PAYLOAD_ERROR_CODES = [
  'invalid_uri',
  'uri_not_allowed',
  'not_found',
  'too_large',
  'storage_error',
] as const;
export type PayloadErrorCode = (typeof PAYLOAD_ERROR_CODES)[number];

export class PayloadError extends Error {
  override readonly name = 'PayloadError';
  constructor(
    readonly code: PayloadErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
