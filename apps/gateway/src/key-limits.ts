// The limits of managed API keys on the way into the queue: the models a key may use, its
// outstanding predictions and its requests per second (key-admit-2.lua, one round trip per
// request). A key at its queued limit has its counted ids checked first: those finished since
// (nothing tells the gateway when an asynchronous prediction ends) stop counting.
import { AltoError, TERMINAL } from '@alto/protocol';
import {
  admitKey,
  outstandingIds,
  releaseKey,
  touchKey,
  type ApiKeyRecord,
  type Keys,
  type PredictionStore,
} from '@alto/queue';
import type { Redis } from 'ioredis';
import type { GatewayMetrics } from './metrics.ts';

export interface KeyLimitsDeps {
  redis: Redis;
  keys: Keys;
  store: PredictionStore;
  metrics: GatewayMetrics;
}

export interface KeyLimits {
  /** Throws model_not_found when the key may not use `model`. */
  allowModel(key: ApiKeyRecord, model: string): void;
  /** Counts prediction `id` against the key's limits; throws rate_limited or quota_exceeded. */
  admit(key: ApiKeyRecord, model: string, id: string, holdMs: number): Promise<void>;
  /** Stops counting `id` (it was not created, or it ended). */
  release(key: ApiKeyRecord, id: string): Promise<void>;
}

export function keyLimits(d: KeyLimitsDeps): KeyLimits {
  const limited = (key: ApiKeyRecord) => key.rate !== null || key.max_queued !== null;

  /** Drops the key's counted ids whose predictions ended or expired; returns how many. */
  const prune = async (key: ApiKeyRecord): Promise<number> => {
    const ids = await outstandingIds(d.redis, d.keys, key.id);
    const records = await Promise.all(ids.map((id) => d.store.get(id)));
    const done = ids.filter((_, i) => !records[i] || TERMINAL.has(records[i]!.status));
    await releaseKey(d.redis, d.keys, key.id, done);
    return done.length;
  };

  const count = (key: ApiKeyRecord, model: string, outcome: string) =>
    d.metrics.keyPredictions.inc({ key: key.id, model, outcome });

  return {
    allowModel(key, model) {
      if (key.models !== null && !key.models.includes(model)) {
        throw new AltoError(
          'model_not_found',
          `model '${model}' is not one API key '${key.name}' may use (${key.models.join(', ') || 'none'})`,
        );
      }
    },
    async admit(key, model, id, holdMs) {
      if (!limited(key)) {
        // Still one write: when the key was last used.
        await touchKey(d.redis, d.keys, key.id);
        count(key, model, 'accepted');
        return;
      }
      let outcome = await admitKey(d.redis, d.keys, key, id, holdMs);
      if (outcome.code === 'QUEUE_LIMIT' && (await prune(key)) > 0) {
        outcome = await admitKey(d.redis, d.keys, key, id, holdMs);
      }
      switch (outcome.code) {
        case 'ADMITTED':
          count(key, model, 'accepted');
          return;
        case 'QUEUE_LIMIT':
          count(key, model, 'quota_exceeded');
          throw new AltoError(
            'quota_exceeded',
            `API key '${key.name}': expected at most ${key.max_queued} predictions queued or running, ` +
              `got ${key.max_queued} already; retry when one finishes`,
            true,
            1,
          );
        case 'RATE_LIMITED':
          count(key, model, 'rate_limited');
          throw new AltoError(
            'rate_limited',
            `API key '${key.name}': expected at most ${key.rate} requests per second (burst ` +
              `${key.burst ?? Math.max(1, Math.ceil(key.rate ?? 1))}); retry in ${outcome.retryMs} ms`,
            true,
            Math.max(1, Math.ceil(outcome.retryMs / 1000)),
          );
        default: {
          const never: never = outcome;
          throw new Error(`unknown outcome ${JSON.stringify(never)}`);
        }
      }
    },
    async release(key, id) {
      if (key.max_queued !== null) await releaseKey(d.redis, d.keys, key.id, [id]);
    },
  };
}
