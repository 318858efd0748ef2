// A worker's side of one model's stream: read micro-batches through the consumer group,
// mark them running, store outcomes. Each step is one round trip for the whole batch.
import { decodeTensors, type TensorMap } from '@alto/protocol';
import type { Redis } from 'ioredis';
import { GROUP, type Keys } from './keys.ts';
import { commandName, defineScripts, type ScriptedRedis } from './scripts.ts';

export interface Entry {
  /** Stream entry id. */
  entryId: string;
  predictionId: string;
  version: string;
  /** Submission time, epoch ms. */
  createdAt: number;
  inputs: TensorMap;
  /** Time the worker read it, epoch ms. */
  readAt: number;
}

export type Outcome =
  | { kind: 'succeeded'; outputs: Buffer; queueMs: number; predictMs: number; batchSize: number }
  | { kind: 'failed'; code: string; message: string; queueMs: number; predictMs: number; batchSize: number };

export interface ConsumerOptions {
  model: string;
  /** Read one version's stream (requests that pin it) instead of the model's. */
  version?: string;
  /** Consumer name within the group; stable across restarts of the same worker. */
  consumer: string;
  /** How long a prediction is kept after it is terminal. @default 86_400_000 (24 h) */
  retentionMs?: number;
  /** Deliveries after which an entry is dead-lettered as poison. @default 3 */
  maxDeliveries?: number;
}

/** What start() made of a batch. */
export interface Started {
  /** Entries to compute. */
  run: Entry[];
  /** Entries dead-lettered as poison (their predictions failed). */
  poisoned: Entry[];
  /** Entries another consumer took over meanwhile; left alone. */
  fenced: Entry[];
  /** Entries past their deadline: settled as expired (or failed), not to compute. */
  expired: Entry[];
}

export class StreamConsumer {
  private readonly redis: ScriptedRedis;
  private readonly stream: string;
  private readonly retentionMs: number;
  /**
   * Until our own pending entries (from before a restart) are all read, read those first.
   * A pending read returns entries after the given id, so the cursor moves past each one
   * handed out: entries still being computed are not handed out twice.
   */
  private backlog: string | undefined = '0';

  /**
   * @param blocking connection used only for blocking reads
   * @param redis connection for everything else
   */
  constructor(
    private readonly blocking: Redis,
    redis: Redis,
    private readonly keys: Keys,
    private readonly options: ConsumerOptions,
  ) {
    this.redis = defineScripts(redis);
    this.stream = options.version === undefined ? keys.stream(options.model) : keys.versionStream(options.model, options.version);
    this.retentionMs = options.retentionMs ?? 86_400_000;
    this.maxDeliveries = options.maxDeliveries ?? 3;
  }

  private readonly maxDeliveries: number;

  /** Creates the consumer group if missing, from the stream's start so nothing queued before is skipped. */
  async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.stream, GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!/BUSYGROUP/.test((err as Error).message)) throw err;
    }
  }

  /**
   * Reads up to `count` entries. Waits up to `blockMs` for the first one (0 = do not wait).
   * Entries this consumer was given before a restart come first.
   */
  async read(count: number, blockMs: number): Promise<Entry[]> {
    if (this.backlog !== undefined) {
      const pending = await this.xread(this.redis, count, undefined, this.backlog);
      if (pending.lastId !== undefined) {
        this.backlog = pending.lastId;
        return pending.entries;
      }
      this.backlog = undefined;
    }
    const fresh = blockMs > 0
      ? await this.xread(this.blocking, count, blockMs, '>')
      : await this.xread(this.redis, count, undefined, '>');
    return fresh.entries;
  }

  private async xread(
    conn: Redis, count: number, blockMs: number | undefined, from: string,
  ): Promise<{ entries: Entry[]; lastId: string | undefined }> {
    const args: (string | number)[] = ['GROUP', GROUP, this.options.consumer, 'COUNT', count];
    if (blockMs !== undefined) args.push('BLOCK', blockMs);
    args.push('STREAMS', this.stream, from);
    const raw = (await conn.callBuffer('XREADGROUP', ...args)) as [Buffer, [Buffer, Buffer[] | null][]][] | null;
    const rows = raw?.[0]?.[1] ?? [];
    const out = await this.parse(rows);
    return { entries: out, lastId: rows.length > 0 ? rows[rows.length - 1]![0].toString() : undefined };
  }

  private async parse(rows: [Buffer, Buffer[] | null][]): Promise<Entry[]> {
    const readAt = Date.now();
    const out: Entry[] = [];
    for (const [entryId, fields] of rows) {
      // A pending entry deleted meanwhile comes back with nil fields: just acknowledge it.
      if (!fields) {
        await this.redis.xack(this.stream, GROUP, entryId);
        continue;
      }
      const f: Record<string, Buffer> = {};
      for (let i = 0; i < fields.length; i += 2) f[fields[i]!.toString()] = fields[i + 1]!;
      out.push({
        entryId: entryId.toString(),
        predictionId: f.id!.toString(),
        version: f.v?.toString() ?? '',
        createdAt: Number(f.t?.toString() ?? readAt),
        inputs: decodeTensors(f.in!),
        readAt,
      });
    }
    return out;
  }

  /**
   * Takes over entries another consumer has held for longer than `minIdleMs` (a worker that
   * died or stalled) — at-least-once delivery. Each takeover counts as a delivery.
   */
  async reclaim(minIdleMs: number, count: number): Promise<Entry[]> {
    const reply = (await this.redis.callBuffer(
      'XAUTOCLAIM', this.stream, GROUP, this.options.consumer, minIdleMs, '0-0', 'COUNT', count,
    )) as [Buffer, [Buffer, Buffer[] | null][], Buffer[]];
    return this.parse(reply[1] ?? []);
  }

  /**
   * Marks entries running (one round trip for the batch) and sorts out those not to
   * compute: over or gone (acknowledged by the script), taken over by another consumer,
   * or poison (dead-lettered).
   */
  async start(entries: Entry[]): Promise<Started> {
    const started: Started = { run: [], poisoned: [], fenced: [], expired: [] };
    if (entries.length === 0) return started;
    const now = Date.now();
    const pipe = this.redis.pipeline() as unknown as Record<string, (...a: unknown[]) => void> & {
      exec(): Promise<[Error | null, unknown][] | null>;
    };
    for (const e of entries) {
      pipe[commandName('start')]!(
        this.stream, this.keys.dead(this.options.model), this.keys.prediction(this.options.model, e.predictionId),
        this.keys.outbox(this.options.model),
        now, this.options.consumer, GROUP, e.entryId, this.maxDeliveries, this.retentionMs,
        this.keys.completions, e.predictionId,
      );
    }
    const results = (await pipe.exec()) ?? [];
    entries.forEach((e, i) => {
      const [err, value] = results[i] ?? [new Error('no reply'), null];
      if (err) throw err;
      if (value === 1) started.run.push(e);
      else if (value === -2) started.fenced.push(e);
      else if (value === -3) started.poisoned.push(e);
      else if (value === -4) started.expired.push(e);
    });
    return started;
  }

  /**
   * Stores outcomes, acknowledges and publishes completions: one round trip. Returns the
   * entries whose outcome was discarded because another consumer had taken them over.
   */
  async complete(done: { entry: Entry; outcome: Outcome }[]): Promise<Entry[]> {
    if (done.length === 0) return [];
    const now = Date.now();
    const pipe = this.redis.pipeline() as unknown as Record<string, (...a: unknown[]) => void> & {
      exec(): Promise<[Error | null, unknown][] | null>;
    };
    for (const { entry, outcome } of done) {
      const ok = outcome.kind === 'succeeded';
      pipe[commandName('complete')]!(
        this.stream, this.keys.prediction(this.options.model, entry.predictionId), this.keys.outbox(this.options.model),
        GROUP, entry.entryId, outcome.kind, now, this.retentionMs, this.keys.completions, entry.predictionId,
        ok ? outcome.outputs : '', ok ? '' : outcome.code, ok ? '' : outcome.message,
        outcome.queueMs, outcome.predictMs, outcome.batchSize, this.options.consumer,
      );
    }
    const results = (await pipe.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
    return done.filter((_, i) => results[i]?.[1] === -1).map((d) => d.entry);
  }

  /** Entries read but not yet acknowledged by this consumer. */
  async pendingCount(): Promise<number> {
    const summary = (await this.redis.xpending(this.stream, GROUP)) as [number, ...unknown[]];
    return Number(summary[0]);
  }
}
