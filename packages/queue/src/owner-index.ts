// Each caller's predictions, newest first, for GET /v1/predictions: one sorted set per owner
// (prediction id scored by created_at), written by the gateway after an enqueue (owner-add-1.lua). The
// prediction hashes stay the truth: ids whose hash has expired are skipped and dropped.
import type { PredictionRecord, Status } from '@alto/protocol';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import type { PredictionStore } from './predictions.ts';
import { defineQueueScripts, ownerAdd } from './scripts/index.ts';

export interface ListOptions {
  /** Only this model's predictions. */
  model?: string;
  /** Only predictions in this status. */
  status?: Status;
  /** Most predictions returned. */
  limit: number;
  /** The id the previous page ended with: this page starts after it. */
  after?: string;
}

export interface Page {
  predictions: PredictionRecord[];
  /** The id to pass as `after` for the next page; null when there is none. */
  next: string | null;
}

/** Ids read per round trip while filtering. */
const SCAN = 100;

export class OwnerIndex {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly store: PredictionStore,
  ) {
    defineQueueScripts(redis);
  }

  /** Records `id` as one of `owner`'s, dropping ids older than the retention window. */
  async add(owner: string, id: string, createdAt: number, retentionMs: number): Promise<void> {
    await ownerAdd.run(this.redis, {
      keys: this.keys,
      owner,
      predictionId: id,
      createdAt,
      oldest: Date.now() - retentionMs,
      retentionMs,
    });
  }

  /**
   * A page of `owner`'s predictions, newest first: by created_at, then (predictions of the
   * same millisecond) by id, both descending.
   * Returns undefined when `after` is not (or no longer) in the index.
   */
  async list(owner: string, o: ListOptions): Promise<Page | undefined> {
    const key = this.keys.ownerPredictions(owner);
    let start = 0;
    if (o.after !== undefined) {
      const rank = await this.redis.zrevrank(key, o.after);
      if (rank === null) return undefined;
      start = rank + 1;
    }
    const out: PredictionRecord[] = [];
    for (;;) {
      const ids = await this.redis.zrevrange(key, start, start + SCAN - 1);
      const gone: string[] = [];
      for (const id of ids) {
        start++;
        if (o.model !== undefined && !id.startsWith(`${o.model}.`)) continue;
        const record = await this.store.get(id);
        if (!record) {
          gone.push(id);
          continue;
        }
        if (o.status !== undefined && record.status !== o.status) continue;
        out.push(record);
        if (out.length === o.limit) {
          if (gone.length) await this.redis.zrem(key, ...gone);
          // The ids dropped lay before the position reached: the rest moved up by as many.
          const more = (await this.redis.zcard(key)) > start - gone.length;
          return { predictions: out, next: more ? id : null };
        }
      }
      if (gone.length) {
        await this.redis.zrem(key, ...gone);
        start -= gone.length;
      }
      if (ids.length < SCAN) return { predictions: out, next: null };
    }
  }
}
