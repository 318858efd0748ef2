// API keys: who a request comes from. Keys are compared by their sha256 in constant time;
// a caller is named by a fingerprint of its key (the first 16 hex digits of the sha256),
// which predictions store as their owner. Without keys every caller is ANONYMOUS.
import { createHash, timingSafeEqual } from 'node:crypto';
import { AltoError } from '@alto/protocol';
import { ANONYMOUS } from '@alto/queue';

export interface Auth {
  /** Whether API keys are required. */
  readonly enabled: boolean;
  /** The caller's owner fingerprint, from its Authorization header; throws `unauthorized`. */
  owner(authorization: string | undefined): string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** The owner fingerprint of an API key. */
export const fingerprint = (key: string): string => sha256(key).toString('hex').slice(0, 16);

export function createAuth(keys: readonly string[]): Auth {
  const digests = keys.map(sha256);
  return {
    enabled: keys.length > 0,
    owner(authorization) {
      if (digests.length === 0) return ANONYMOUS;
      const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
      if (!match) {
        const got = authorization === undefined ? 'none' : 'a value that is not `Bearer <key>`';
        throw new AltoError('unauthorized', `header 'Authorization': expected 'Bearer <API key>', got ${got}`);
      }
      const digest = sha256(match[1]!);
      // Every key is compared, so the time taken does not tell which one came close.
      let found = false;
      for (const d of digests) found = timingSafeEqual(d, digest) || found;
      if (!found) throw new AltoError('unauthorized', "header 'Authorization': the API key is not valid");
      return digest.toString('hex').slice(0, 16);
    },
  };
}
