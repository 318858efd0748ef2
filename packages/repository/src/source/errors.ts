// The one error class of checkpoint sources and the cache. `code` is stable: callers branch
// on it (a worker retries `storage_error`, reports `checksum_mismatch`, refuses the others).

export const CHECKPOINT_ERROR_CODES = [
  'checksum_mismatch',
  'uri_not_allowed',
  'not_found',
  'invalid_uri',
  'storage_error',
] as const;
export type CheckpointErrorCode = (typeof CHECKPOINT_ERROR_CODES)[number];

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  readonly code: CheckpointErrorCode;

  constructor(code: CheckpointErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** Whether trying the same operation again later can succeed. */
  get retryable(): boolean {
    switch (this.code) {
      case 'storage_error':
      case 'checksum_mismatch':
        return true;
      case 'uri_not_allowed':
      case 'not_found':
      case 'invalid_uri':
        return false;
      default: {
        const never: never = this.code;
        return never;
      }
    }
  }
}
