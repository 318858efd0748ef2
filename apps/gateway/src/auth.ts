// API keys: who a request comes from. Bootstrap keys (ALTO_API_KEYS) are compared by their
// sha256 in constant time; managed keys (`alto keys create`, ALTO_MANAGED_API_KEYS) are found
// in Redis by the id their secret carries (ApiKeyRing). A caller is named by a fingerprint of
// its key (the first 16 hex digits of the sha256), which predictions store as their owner,
// for either kind. Without keys every caller is ANONYMOUS.
import { createHash, timingSafeEqual } from 'node:crypto';
import { AltoError } from '@alto/protocol';
import { ANONYMOUS, type ApiKeyRecord, type ApiKeyRing } from '@alto/queue';

/** Who sent a request. */
export interface Caller {
  /** The owner fingerprint predictions record. */
  owner: string;
  /** The managed key used, with its limits; absent for a bootstrap key or without keys. */
  key?: ApiKeyRecord;
}

export interface Auth {
  /** Whether API keys are required. */
  readonly enabled: boolean;
  /** The caller, from its Authorization header; throws `unauthorized`. */
  caller(authorization: string | undefined): Promise<Caller>;
  /** The caller's owner fingerprint; throws `unauthorized`. */
  owner(authorization: string | undefined): Promise<string>;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** The owner fingerprint of an API key. */
export const fingerprint = (key: string): string => sha256(key).toString('hex').slice(0, 16);

export function createAuth(keys: readonly string[], managed?: ApiKeyRing): Auth {
  const digests = keys.map(sha256);
  const enabled = keys.length > 0 || managed !== undefined;
  const caller = async (authorization: string | undefined): Promise<Caller> => {
    if (!enabled) return { owner: ANONYMOUS };
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
    if (!match) {
      const got = authorization === undefined ? 'none' : 'a value that is not `Bearer <key>`';
      throw new AltoError('unauthorized', `header 'Authorization': expected 'Bearer <API key>', got ${got}`);
    }
    const secret = match[1]!;
    const digest = sha256(secret);
    // Every key is compared, so the time taken does not tell which one came close.
    let found = false;
    for (const d of digests) found = timingSafeEqual(d, digest) || found;
    const owner = digest.toString('hex').slice(0, 16);
    if (found) return { owner };
    const key = managed ? await managed.find(secret) : undefined;
    if (!key) throw new AltoError('unauthorized', "header 'Authorization': the API key is not valid");
    return { owner, key };
  };
  return {
    enabled,
    caller,
    owner: async (authorization) => (await caller(authorization)).owner,
  };
}
