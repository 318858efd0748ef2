// The dead-letter stream of a model: entries delivered too many times (see start-4.lua).
// Operators list them and replay the ones whose cause is fixed (see replay-3.lua).
import type { Redis } from 'ioredis';
import { DEAD_LETTER, entryFields } from './fields.ts';
import type { Keys } from './keys.ts';
import { defineQueueScripts, replay } from './scripts/index.ts';

export interface DeadLetter {
  /** Id of the entry in the dead-letter stream. */
  entry: string;
  prediction_id: string;
  version: string;
  deliveries: number;
  created_at: string;
  dead_at: string;
}

const iso = (ms: string | undefined) => new Date(Number(ms ?? 0)).toISOString();

export class DeadLetters {
  private readonly redis: Redis;

  constructor(
    redis: Redis,
    private readonly keys: Keys,
  ) {
    this.redis = defineQueueScripts(redis);
  }

  /** Up to `limit` entries after `after` (an entry id; '-' from the start), oldest first. */
  async list(model: string, limit = 100, after = '-'): Promise<DeadLetter[]> {
    const start = after === '-' ? '-' : `(${after}`;
    const entries = await this.redis.xrange(this.keys.dead(model), start, '+', 'COUNT', limit);
    return entries.map(([entry, fields]) => {
      const f = entryFields(fields)!;
      return {
        entry,
        prediction_id: f.get(DEAD_LETTER.id) ?? '',
        version: f.get(DEAD_LETTER.version) ?? '',
        deliveries: Number(f.get(DEAD_LETTER.deliveries) ?? 0),
        created_at: iso(f.get(DEAD_LETTER.createdAt)),
        dead_at: iso(f.get(DEAD_LETTER.deadAt)),
      };
    });
  }

  async count(model: string): Promise<number> {
    return this.redis.xlen(this.keys.dead(model));
  }

  /** Replays the given entries (all when none are given); returns the prediction ids queued again. */
  async replay(model: string, entries?: readonly string[]): Promise<string[]> {
    const targets = entries ?? (await this.list(model, 10_000)).map((d) => d.entry);
    const replayed: string[] = [];
    for (const entry of targets) {
      const found = await this.redis.xrange(this.keys.dead(model), entry, entry);
      const id = entryFields(found[0]?.[1])?.get(DEAD_LETTER.id);
      if (id === undefined) continue;
      const r = await replay.run(this.redis, {
        keys: this.keys,
        model,
        deadEntryId: entry,
        predictionId: id,
        now: Date.now(),
      });
      if (r.code === 'REPLAYED') replayed.push(id);
    }
    return replayed;
  }
}
