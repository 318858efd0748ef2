// The dead-letter stream of a model: entries delivered too many times (see start-3.lua).
// Operators list them and replay the ones whose cause is fixed (see replay-3.lua).
import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import { commandName, defineScripts, type ScriptedRedis } from './scripts.ts';

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
  private readonly redis: ScriptedRedis;

  constructor(redis: Redis, private readonly keys: Keys) {
    this.redis = defineScripts(redis);
  }

  /** Up to `limit` entries after `after` (an entry id; '-' from the start), oldest first. */
  async list(model: string, limit = 100, after = '-'): Promise<DeadLetter[]> {
    const start = after === '-' ? '-' : `(${after}`;
    const entries = await this.redis.xrange(this.keys.dead(model), start, '+', 'COUNT', limit);
    return entries.map(([entry, fields]) => {
      const f = new Map<string, string>();
      for (let i = 0; i < fields.length; i += 2) if (fields[i] !== 'in') f.set(fields[i]!, fields[i + 1]!);
      return {
        entry, prediction_id: f.get('id') ?? '', version: f.get('v') ?? '', deliveries: Number(f.get('deliveries') ?? 0),
        created_at: iso(f.get('t')), dead_at: iso(f.get('dead_at')),
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
      const fields = found[0]?.[1];
      if (!fields) continue;
      const id = fields[fields.indexOf('id') + 1]!;
      const r = await this.redis[commandName('replay')]!(
        this.keys.dead(model), this.keys.stream(model), this.keys.prediction(model, id), entry, Date.now(),
      );
      if (r !== null) replayed.push(id);
    }
    return replayed;
  }
}
