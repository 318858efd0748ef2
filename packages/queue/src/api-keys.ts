// Managed API keys as gateways see them: the record the control plane stores (never the
// secret: only its sha256), the secret's format, the lookup with a short cache (a revoked key
// is refused within `ttlMs` on every gateway), and each request's admission against the key's
// limits (key-admit-2.lua).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { API_KEY_BUCKET } from './fields.ts';
import type { Keys } from './keys.ts';
import { defineQueueScripts, keyAdmit, type KeyAdmitOutcome } from './scripts/index.ts';

/** One managed API key as stored in `keys.apiKeys` (JSON). */
export interface ApiKeyRecord {
  id: string;
  name: string;
  /** Who the key is for (a person or team); free text. */
  owner: string;
  created_at: string;
  /** sha256 (hex) of the whole secret. */
  sha256: string;
  /** Models the key may use; null = all. */
  models: string[] | null;
  /** Requests per second; null = no limit. */
  rate: number | null;
  /** Requests allowed at once above the rate; null = the rate (at least 1). */
  burst: number | null;
  /** Most predictions queued or running at once; null = no limit. */
  max_queued: number | null;
  revoked_at: string | null;
}

const SECRET = /^alto_([0-9a-f]{12})_[A-Za-z0-9_-]{20,}$/;

export const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The key id a secret names, or undefined when it is not a managed key's secret. */
export const secretKeyId = (secret: string): string | undefined => SECRET.exec(secret)?.[1];

/** The secret of key `id`: `alto_<id>_<random>`. */
export const formatSecret = (id: string, random: string): string => `alto_${id}_${random}`;

export interface ApiKeyRingOptions {
  /** How long a key record is used before it is read again (the bound on revocation). @default 500 */
  ttlMs?: number;
}

/** Finds managed keys by their secret, from Redis, with a short per-key cache. */
export class ApiKeyRing {
  private readonly cache = new Map<string, { record: ApiKeyRecord | undefined; at: number }>();
  private readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    o: ApiKeyRingOptions = {},
  ) {
    this.ttlMs = o.ttlMs ?? 500;
  }

  /** The live (not revoked) key whose secret this is, or undefined. */
  async find(secret: string): Promise<ApiKeyRecord | undefined> {
    const id = secretKeyId(secret);
    if (id === undefined) return undefined;
    const record = await this.record(id);
    if (!record || record.revoked_at !== null) return undefined;
    const want = Buffer.from(record.sha256, 'hex');
    const got = createHash('sha256').update(secret).digest();
    return want.length === got.length && timingSafeEqual(want, got) ? record : undefined;
  }

  private async record(id: string): Promise<ApiKeyRecord | undefined> {
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < this.ttlMs) return hit.record;
    const json = await this.redis.hget(this.keys.apiKeys, id);
    const record = json === null ? undefined : (JSON.parse(json) as ApiKeyRecord);
    // Unknown ids are not kept: guessed ids must not grow the cache.
    if (record) this.cache.set(id, { record, at: now });
    else this.cache.delete(id);
    return record;
  }
}

/** Admits one request of `key` that would create `predictionId`: its queued limit, then its rate. */
export function admitKey(
  redis: Redis,
  keys: Keys,
  key: ApiKeyRecord,
  predictionId: string,
  holdMs: number,
): Promise<KeyAdmitOutcome> {
  defineQueueScripts(redis);
  const rate = key.rate ?? 0;
  return keyAdmit.run(redis, {
    keys,
    keyId: key.id,
    rate,
    burst: key.burst ?? Math.max(1, Math.ceil(rate)),
    maxQueued: key.max_queued ?? 0,
    predictionId,
    holdMs,
  });
}

/** When key `keyId` was last used (epoch ms), or null. */
export async function keyLastUsed(
  redis: Redis,
  keys: Pick<Keys, 'apiKeyBucket'>,
  keyId: string,
): Promise<number | null> {
  const ms = await redis.hget(keys.apiKeyBucket(keyId), API_KEY_BUCKET.lastUsed);
  return ms === null ? null : Number(ms);
}

/** Records that key `keyId` was used now (for keys without limits, which skip key-admit-2.lua). */
export async function touchKey(redis: Redis, keys: Pick<Keys, 'apiKeyBucket'>, keyId: string): Promise<void> {
  await redis.hset(keys.apiKeyBucket(keyId), API_KEY_BUCKET.lastUsed, Date.now());
}

/** Ids counted as `key`'s outstanding predictions. */
export const outstandingIds = (redis: Redis, keys: Keys, keyId: string): Promise<string[]> =>
  redis.zrange(keys.apiKeyOutstanding(keyId), 0, -1);

/** Stops counting `ids` as `key`'s outstanding predictions. */
export async function releaseKey(redis: Redis, keys: Keys, keyId: string, ids: string[]): Promise<void> {
  if (ids.length) await redis.zrem(keys.apiKeyOutstanding(keyId), ...ids);
}
