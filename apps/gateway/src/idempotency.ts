// The Idempotency-Key header of POST predictions: its check, and what makes two requests
// "the same request" (the body's bytes, the model and the pinned version).
import { createHash } from 'node:crypto';
import { AltoError } from '@alto/protocol';
import type { Idempotency } from '@alto/queue';

const KEY = /^[\x20-\x7e]{1,255}$/;

/** sha256 (hex) of a valid Idempotency-Key; undefined without one; throws invalid_input. */
export function idempotencyKeyHash(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!KEY.test(header)) {
    const what =
      header.length === 0
        ? 'an empty value'
        : header.length > 255
          ? `${header.length} characters`
          : 'a non-printable character';
    throw new AltoError(
      'invalid_input',
      `header 'Idempotency-Key': expected 1 to 255 printable ASCII characters, got ${what}`,
    );
  }
  return createHash('sha256').update(header).digest('hex');
}

export function idempotency(
  keyHash: string | undefined,
  body: Buffer,
  model: string,
  version: string | undefined,
  ttlMs: number,
): Idempotency | undefined {
  if (keyHash === undefined) return undefined;
  const requestHash = createHash('sha256')
    .update(body)
    .update('\0')
    .update(model)
    .update('\0')
    .update(version ?? '')
    .digest('hex');
  return { keyHash, requestHash, ttlMs };
}
