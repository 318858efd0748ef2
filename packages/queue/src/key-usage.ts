// Usage of managed API keys: predictions settled and compute seconds, per model, kept as
// running totals in one hash per key under the key's own hash tag (`keys.apiKeyUsage`).
// Workers add to it after each batch; the admin API reads it. Prometheus counters of the same
// numbers live in the processes that count them (worker, gateway); these totals survive them.
// Not a limit: nothing here refuses a request.
import type { Redis } from 'ioredis';
import { API_KEY_USAGE } from './fields.ts';
import type { Keys } from './keys.ts';

/** The usage key of a request sent without API keys configured. */
export const ANONYMOUS_KEY = 'anonymous';
/** The usage key of a request sent with a bootstrap key (ALTO_API_KEYS). */
export const BOOTSTRAP_KEY = 'bootstrap';
/** The usage key of an entry written by a gateway that did not record one. */
export const UNKNOWN_KEY = 'unknown';

/** Whether a usage key is a managed key's id (12 hex digits) rather than one of the words above. */
export const isManagedKeyId = (key: string): boolean => /^[0-9a-f]{12}$/.test(key);

/** One managed key's totals, per model. */
export interface KeyUsage {
  predictions: Record<string, number>;
  compute_seconds: Record<string, number>;
}

/** What one batch (or one settlement) adds to one key's usage of one model. */
export interface UsageDelta {
  key: string;
  model: string;
  predictions: number;
  computeSeconds: number;
}

/**
 * A request's share of a batch's compute time, the rule usage is charged by: a request of r
 * rows in a batch of R rows that took t seconds is charged t·r/R. Nothing for a request or a
 * batch without rows or time.
 */
export function computeShare(seconds: number, rows: number, batchRows: number): number {
  if (!(seconds > 0) || !(rows > 0) || !(batchRows > 0)) return 0;
  return (seconds * Math.min(rows, batchRows)) / batchRows;
}

/** Splits a batch's compute time across its requests by computeShare: the shares add up to the time. */
export function splitCompute(seconds: number, rows: readonly number[]): number[] {
  const total = rows.reduce((a, b) => a + b, 0);
  return rows.map((r) => computeShare(seconds, r, total));
}

/** Sums deltas per (key, model), in first-seen order. */
export function sumUsage(deltas: readonly UsageDelta[]): UsageDelta[] {
  const out = new Map<string, UsageDelta>();
  for (const d of deltas) {
    const at = `${d.key}\n${d.model}`;
    const sum = out.get(at);
    if (sum) {
      sum.predictions += d.predictions;
      sum.computeSeconds += d.computeSeconds;
    } else out.set(at, { ...d });
  }
  return [...out.values()];
}

/**
 * Adds `deltas` to the totals of the managed keys among them (others have no record to show
 * them). One pipeline per key: its commands share the key's hash tag, so on a Redis Cluster
 * each pipeline goes to one node, with no cross-slot script. Not atomic across keys, nor
 * needed: each HINCRBY is.
 */
export async function addKeyUsage(redis: Redis, keys: Pick<Keys, 'apiKeyUsage'>, deltas: readonly UsageDelta[]) {
  const byKey = new Map<string, UsageDelta[]>();
  for (const d of sumUsage(deltas)) {
    if (!isManagedKeyId(d.key) || (d.predictions === 0 && d.computeSeconds === 0)) continue;
    byKey.set(d.key, [...(byKey.get(d.key) ?? []), d]);
  }
  await Promise.all(
    [...byKey].map(async ([key, list]) => {
      const pipe = redis.pipeline();
      const hash = keys.apiKeyUsage(key);
      for (const d of list) {
        if (d.predictions !== 0) pipe.hincrby(hash, `${API_KEY_USAGE.predictions}${d.model}`, d.predictions);
        if (d.computeSeconds !== 0)
          pipe.hincrbyfloat(hash, `${API_KEY_USAGE.computeSeconds}${d.model}`, d.computeSeconds);
      }
      const failed = ((await pipe.exec()) ?? []).find(([err]) => err);
      if (failed) throw failed[0];
    }),
  );
}

/** Decodes a usage hash (field → value) into per-model totals; unknown fields are ignored. */
export function parseKeyUsage(hash: Record<string, string>): KeyUsage {
  const usage: KeyUsage = { predictions: {}, compute_seconds: {} };
  for (const [field, value] of Object.entries(hash)) {
    if (field.startsWith(API_KEY_USAGE.predictions)) {
      usage.predictions[field.slice(API_KEY_USAGE.predictions.length)] = Number(value);
    } else if (field.startsWith(API_KEY_USAGE.computeSeconds)) {
      usage.compute_seconds[field.slice(API_KEY_USAGE.computeSeconds.length)] = Number(value);
    }
  }
  return usage;
}

/** Key `id`'s totals; all empty for a key never used. */
export async function readKeyUsage(redis: Redis, keys: Pick<Keys, 'apiKeyUsage'>, id: string): Promise<KeyUsage> {
  return parseKeyUsage(await redis.hgetall(keys.apiKeyUsage(id)));
}
