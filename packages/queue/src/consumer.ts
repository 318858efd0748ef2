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
  /** Consumer name within the group; stable across restarts of the same worker. */
  consumer: string;
  /** How long a prediction is kept after it is terminal. @default 86_400_000 (24 h) */
  retentionMs?: number;
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
    this.stream = keys.stream(options.model);
    this.retentionMs = options.retentionMs ?? 86_400_000;
  }

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
    const readAt = Date.now();
    const out: Entry[] = [];
    const rows = raw?.[0]?.[1] ?? [];
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
    return { entries: out, lastId: rows.length > 0 ? rows[rows.length - 1]![0].toString() : undefined };
  }

  /**
   * Marks entries running. Returns those to compute; the others (canceled, expired from
   * retention) are acknowledged and dropped.
   */
  async start(entries: Entry[], workerId: string): Promise<Entry[]> {
    if (entries.length === 0) return entries;
    const now = Date.now();
    const pipe = this.redis.pipeline();
    for (const e of entries) {
      (pipe as unknown as Record<string, (...a: unknown[]) => void>)[commandName('start')]!(
        this.keys.prediction(this.options.model, e.predictionId), now, workerId,
      );
    }
    const results = (await pipe.exec()) ?? [];
    const run: Entry[] = [];
    const drop: string[] = [];
    entries.forEach((e, i) => {
      const [err, value] = results[i] ?? [new Error('no reply'), null];
      if (err) throw err;
      if (value === 1) run.push(e);
      else drop.push(e.entryId);
    });
    if (drop.length > 0) {
      await this.redis.pipeline().xack(this.stream, GROUP, ...drop).xdel(this.stream, ...drop).exec();
    }
    return run;
  }

  /** Stores outcomes, acknowledges and publishes completions: one round trip. */
  async complete(done: { entry: Entry; outcome: Outcome }[]): Promise<void> {
    if (done.length === 0) return;
    const now = Date.now();
    const pipe = this.redis.pipeline() as unknown as Record<string, (...a: unknown[]) => void> & {
      exec(): Promise<[Error | null, unknown][] | null>;
    };
    for (const { entry, outcome } of done) {
      const ok = outcome.kind === 'succeeded';
      pipe[commandName('complete')]!(
        this.stream, this.keys.prediction(this.options.model, entry.predictionId),
        GROUP, entry.entryId, outcome.kind, now, this.retentionMs, this.keys.completions, entry.predictionId,
        ok ? outcome.outputs : '', ok ? '' : outcome.code, ok ? '' : outcome.message,
        outcome.queueMs, outcome.predictMs, outcome.batchSize,
      );
    }
    const results = (await pipe.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
  }

  /** Entries read but not yet acknowledged by this consumer. */
  async pendingCount(): Promise<number> {
    const summary = (await this.redis.xpending(this.stream, GROUP)) as [number, ...unknown[]];
    return Number(summary[0]);
  }
}
