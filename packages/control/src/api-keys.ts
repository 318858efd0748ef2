// Managed API keys, as the admin API creates, lists and revokes them. The secret is made here
// and shown once: Redis holds its sha256 only (ApiKeyRecord in @alto/queue, which gateways
// read). A revoked key keeps its record (revoked_at set) so listings and the audit log still
// name it; gateways refuse it once their cache of it expires (ALTO_API_KEY_CACHE_MS).
import { randomBytes } from 'node:crypto';
import { formatSecret, keyLastUsed, readKeyUsage, sha256Hex, type ApiKeyRecord, type KeyUsage } from '@alto/queue';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ControlKeys } from './keys.ts';

const timestamp = z.iso.datetime();

export const ApiKeyCreateRequestSchema = z
  .object({
    name: z.string().min(1).max(100).describe('What the key is for; shown in listings.'),
    owner: z.string().min(1).max(200).describe('Who the key belongs to (a person or team).'),
    models: z
      .array(z.string().min(1))
      .max(1000)
      .nullable()
      .default(null)
      .describe('Models the key may use; null = every model. Others answer 404 model_not_found.'),
    rate: z
      .number()
      .positive()
      .max(1_000_000)
      .nullable()
      .default(null)
      .describe('Prediction requests per second (token bucket); null = no limit. Over it: 429 rate_limited.'),
    burst: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .nullable()
      .default(null)
      .describe('Requests allowed at once above the rate (bucket size); null = the rate rounded up.'),
    max_queued: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .nullable()
      .default(null)
      .describe('Most predictions queued or running at once; null = no limit. Over it: 429 quota_exceeded.'),
  })
  .strict();
export type ApiKeyCreateRequest = z.input<typeof ApiKeyCreateRequestSchema>;

/** A managed key as the admin API shows it: never its secret nor the secret's hash. */
export const ApiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  owner: z.string(),
  created_at: timestamp,
  last_used: timestamp.nullable().describe('When a gateway last admitted a request of it; null = never.'),
  models: z.array(z.string()).nullable(),
  rate: z.number().nullable(),
  burst: z.number().nullable(),
  max_queued: z.number().nullable(),
  revoked_at: timestamp.nullable(),
  usage: z
    .object({
      predictions: z
        .record(z.string(), z.number())
        .describe('Predictions of the key that ended (succeeded, failed, canceled, expired), per model.'),
      compute_seconds: z
        .record(z.string(), z.number())
        .describe("Inference seconds spent on the key's predictions, per model (each batch split by rows)."),
    })
    .describe('Running totals since the key was created (docs/api-keys.md).'),
});
export type ApiKey = z.infer<typeof ApiKeySchema>;

export const ApiKeyCreatedSchema = ApiKeySchema.extend({
  secret: z.string().describe('The key to send as `Authorization: Bearer <secret>`. Shown this once only.'),
});
export type ApiKeyCreated = z.infer<typeof ApiKeyCreatedSchema>;

export const ApiKeyListSchema = z.object({ keys: z.array(ApiKeySchema).describe('Oldest first.') });

const NO_USAGE: KeyUsage = { predictions: {}, compute_seconds: {} };

const view = (r: ApiKeyRecord, lastUsed: string | null, usage: KeyUsage = NO_USAGE): ApiKey => ({
  id: r.id,
  name: r.name,
  owner: r.owner,
  created_at: r.created_at,
  last_used: lastUsed,
  models: r.models,
  rate: r.rate,
  burst: r.burst,
  max_queued: r.max_queued,
  revoked_at: r.revoked_at,
  usage,
});

type Keys = Pick<ControlKeys, 'apiKeys' | 'apiKeyBucket' | 'apiKeyUsage'>;

/** Creates a key; the secret in the answer exists nowhere else. */
export async function createApiKey(redis: Redis, keys: Keys, req: z.output<typeof ApiKeyCreateRequestSchema>) {
  for (;;) {
    const id = randomBytes(6).toString('hex');
    const secret = formatSecret(id, randomBytes(24).toString('base64url'));
    const record: ApiKeyRecord = {
      id,
      name: req.name,
      owner: req.owner,
      created_at: new Date().toISOString(),
      sha256: sha256Hex(secret),
      models: req.models,
      rate: req.rate,
      burst: req.burst,
      max_queued: req.max_queued,
      revoked_at: null,
    };
    if (await redis.hsetnx(keys.apiKeys, id, JSON.stringify(record))) {
      return { record, created: { ...view(record, null), secret } satisfies ApiKeyCreated };
    }
  }
}

async function lastUsed(redis: Redis, keys: Keys, id: string): Promise<string | null> {
  const ms = await keyLastUsed(redis, keys, id);
  return ms === null ? null : new Date(ms).toISOString();
}

/** Every key, oldest first. */
export async function listApiKeys(redis: Redis, keys: Keys): Promise<ApiKey[]> {
  const all = Object.values(await redis.hgetall(keys.apiKeys)).map((j) => JSON.parse(j) as ApiKeyRecord);
  all.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  return Promise.all(
    all.map(async (r) => view(r, await lastUsed(redis, keys, r.id), await readKeyUsage(redis, keys, r.id))),
  );
}

/** Key `id`, or undefined when there is no such key. */
export async function getApiKey(redis: Redis, keys: Keys, id: string): Promise<ApiKey | undefined> {
  const json = await redis.hget(keys.apiKeys, id);
  if (json === null) return undefined;
  return view(JSON.parse(json) as ApiKeyRecord, await lastUsed(redis, keys, id), await readKeyUsage(redis, keys, id));
}

/** Revokes key `id`: before and after, or undefined when there is no such key. */
export async function revokeApiKey(redis: Redis, keys: Keys, id: string) {
  const json = await redis.hget(keys.apiKeys, id);
  if (json === null) return undefined;
  const before = JSON.parse(json) as ApiKeyRecord;
  const after: ApiKeyRecord = { ...before, revoked_at: before.revoked_at ?? new Date().toISOString() };
  await redis.hset(keys.apiKeys, id, JSON.stringify(after));
  const used = await lastUsed(redis, keys, id);
  const usage = await readKeyUsage(redis, keys, id);
  return { before: view(before, used, usage), after: view(after, used, usage) };
}
