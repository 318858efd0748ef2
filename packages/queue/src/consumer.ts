// A worker's side of one model's streams (one per priority): read micro-batches through the
// consumer group, highest priority first, mark them running, store outcomes. Each step is
// one round trip for the whole batch.
import { decodeTensors, type TensorMap } from '@alto/protocol';
import type { Redis } from 'ioredis';
import { isRedirect, refreshSlots } from './connection.ts';
import { ENTRY, entryFields } from './fields.ts';
import { GROUP, modelStreams, type Keys } from './keys.ts';
import { exhaustive, pipelineReply } from './lua-script.ts';
import { NOTICE_MAX_BYTES } from './notice.ts';
import { UNKNOWN_KEY } from './key-usage.ts';
import { complete, defineQueueScripts, start, type CompleteOutcome } from './scripts/index.ts';

export interface Entry {
  /** The stream it was read from: the model's (or version's) stream of its priority. */
  stream: string;
  /** Stream entry id. */
  entryId: string;
  predictionId: string;
  version: string;
  /** Submission time, epoch ms. */
  createdAt: number;
  inputs: TensorMap;
  /** W3C traceparent of the request's enqueue span; undefined = not traced. */
  traceparent?: string | undefined;
  /**
   * Who its usage counts against: a managed API key's id, 'bootstrap' or 'anonymous';
   * 'unknown' for an entry an older gateway wrote (see key-usage.ts).
   */
  key: string;
  /** Time the worker read it, epoch ms. */
  readAt: number;
  /**
   * How many times the group has handed it out: 1 for a new entry, at least 2 for one handed
   * out again (read from a restart's backlog or taken over), exact once start() ran. More
   * than 1 means an earlier delivery never finished (its worker died or stalled on it).
   */
  deliveries: number;
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
  /**
   * Every this-many reads take the lowest priority first (then normal, then high), so a
   * steady flood of higher priorities cannot starve `low`: a low entry waits at most this
   * many reads once it is at the head of its stream. @default 8
   */
  lowFirstEvery?: number;
  /**
   * After storing outcomes, WAIT for this many replicas (in the same pipeline, so on the node
   * holding the model's slot), up to waitTimeoutMs: completions keep pace with replication.
   * A completion a failover loses is safe: its entry is still pending on the promoted replica
   * and is delivered again. @default 0 (no WAIT)
   */
  waitReplicas?: number;
  /** @default 500 */
  waitTimeoutMs?: number;
}

/** What start() made of a batch. */
export interface Started {
  /** Entries to compute, each with its delivery count. */
  run: Entry[];
  /** Entries dead-lettered as poison (their predictions failed). */
  poisoned: Entry[];
  /** Entries another consumer took over meanwhile; left alone. */
  fenced: Entry[];
  /** Entries past their deadline: settled as expired (or failed), not to compute. */
  expired: Entry[];
}

export class StreamConsumer {
  private readonly redis: Redis;
  /** The streams read, highest priority first. */
  private readonly streams: string[];
  private readonly retentionMs: number;
  private readonly lowFirstEvery: number;
  private reads = 0;
  /** Entries read beyond what a read asked for (a wake-up may bring one per stream). */
  private spare: Entry[] = [];
  /**
   * Until our own pending entries (from before a restart) are all read, read those first,
   * per stream. A pending read returns entries after the given id, so the cursor moves past
   * each one handed out: entries still being computed are not handed out twice.
   */
  private backlog: Map<string, string> | undefined;

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
    this.redis = defineQueueScripts(redis);
    this.streams = [...modelStreams(keys, options.model, options.version).all];
    this.backlog = new Map(this.streams.map((stream) => [stream, '0']));
    this.retentionMs = options.retentionMs ?? 86_400_000;
    this.lowFirstEvery = options.lowFirstEvery ?? 8;
    this.maxDeliveries = options.maxDeliveries ?? 3;
  }

  /** Batches of outcomes fewer replicas confirmed than waitReplicas asked (see ConsumerOptions). */
  unconfirmedCompletions = 0;

  private readonly maxDeliveries: number;

  /** Creates the consumer groups if missing, from the streams' start so nothing queued before is skipped. */
  async ensureGroup(): Promise<void> {
    for (const stream of this.streams) {
      try {
        await this.redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
      } catch (err) {
        if (!/BUSYGROUP/.test((err as Error).message)) throw err;
      }
    }
  }

  /**
   * Entries already read (delivered to this consumer) but not yet handed out by read():
   * a consumer that stops reading finishes these too, or they would wait out the visibility
   * timeout before another worker took them.
   */
  takeSpare(count: number): Entry[] {
    return this.spare.splice(0, count);
  }

  /**
   * Reads up to `count` entries, highest priority first (lowest first every
   * `lowFirstEvery`-th read). Waits up to `blockMs` for the first one (0 = do not wait).
   * Entries this consumer was given before a restart come first, one per read.
   */
  async read(count: number, blockMs: number): Promise<Entry[]> {
    // Our own entries from before a restart come one per read: they were delivered before and
    // never finished, one of them may be what crashed this worker, and reading one counts a
    // delivery — so only the entry about to run is read again.
    while (this.backlog !== undefined && this.spare.length === 0) {
      const next = this.backlog.entries().next();
      if (next.done) {
        this.backlog = undefined;
        break;
      }
      const [stream, cursor] = next.value;
      const pending = await this.xread(this.redis, [stream], 1, undefined, cursor);
      const last = pending.lastIds.get(stream);
      if (last === undefined) this.backlog.delete(stream);
      else this.backlog.set(stream, last);
      if (pending.entries.length > 0) return pending.entries;
    }
    const order = ++this.reads % this.lowFirstEvery === 0 ? [...this.streams].reverse() : this.streams;
    // One XREADGROUP over the priority streams: COUNT holds per stream, so when several
    // priorities have work it reads more than asked. The surplus is kept (delivered to this
    // consumer) and competes by priority at the next read, which skips the streams it still
    // holds entries of: at most `count` held per stream, and a held low entry is handed out
    // no sooner than if it had stayed in its stream.
    const got = this.spare.splice(0);
    const fresh = order.filter((stream) => !got.some((e) => e.stream === stream));
    if (fresh.length > 0) got.push(...(await this.xread(this.redis, fresh, count, undefined, '>')).entries);
    // All empty: wait on every stream at once. What wakes it up runs as it is — a lone
    // request on an idle worker starts at once — rather than paying another round trip to
    // look for more.
    if (got.length === 0 && blockMs > 0)
      got.push(...(await this.xread(this.blocking, order, count, blockMs, '>')).entries);
    // Stable: entries of one stream keep their order.
    got.sort((a, b) => order.indexOf(a.stream) - order.indexOf(b.stream));
    this.spare = got.splice(count);
    return got;
  }

  private async xread(
    conn: Redis,
    streams: string[],
    count: number,
    blockMs: number | undefined,
    from: string,
  ): Promise<{ entries: Entry[]; lastIds: Map<string, string> }> {
    const args: (string | number)[] = ['GROUP', GROUP, this.options.consumer, 'COUNT', count];
    if (blockMs !== undefined) args.push('BLOCK', blockMs);
    args.push('STREAMS', ...streams, ...streams.map(() => from));
    const raw = (await conn.callBuffer('XREADGROUP', ...args)) as [Buffer, [Buffer, Buffer[] | null][]][] | null;
    const entries: Entry[] = [];
    const lastIds = new Map<string, string>();
    for (const [name, rows] of raw ?? []) {
      const stream = name.toString();
      entries.push(...(await this.parse(stream, rows, from === '>' ? 1 : 2)));
      if (rows.length > 0) lastIds.set(stream, rows[rows.length - 1]![0].toString());
    }
    return { entries, lastIds };
  }

  /** @param deliveries 1 for new entries; 2 (at least) for entries handed out again, until start() says. */
  private async parse(stream: string, rows: [Buffer, Buffer[] | null][], deliveries: number): Promise<Entry[]> {
    const readAt = Date.now();
    const out: Entry[] = [];
    for (const [entryId, fields] of rows) {
      // A pending entry deleted meanwhile comes back with nil fields: just acknowledge it.
      if (!fields) {
        await this.redis.xack(stream, GROUP, entryId);
        continue;
      }
      const f = entryFields(fields)!;
      out.push({
        stream,
        entryId: entryId.toString(),
        predictionId: f.get(ENTRY.id)!.toString(),
        version: f.get(ENTRY.version)?.toString() ?? '',
        createdAt: Number(f.get(ENTRY.createdAt)?.toString() ?? readAt),
        inputs: decodeTensors(f.get(ENTRY.inputs)!),
        traceparent: f.get(ENTRY.traceparent)?.toString() || undefined,
        key: f.get(ENTRY.key)?.toString() || UNKNOWN_KEY,
        readAt,
        deliveries,
      });
    }
    return out;
  }

  /**
   * Takes over entries another consumer has held for longer than `minIdleMs` (a worker that
   * died or stalled) — at-least-once delivery. Each takeover counts as a delivery.
   */
  async reclaim(minIdleMs: number, count: number): Promise<Entry[]> {
    const out: Entry[] = [];
    for (const stream of this.streams) {
      if (out.length >= count) break;
      const reply = (await this.redis.callBuffer(
        'XAUTOCLAIM',
        stream,
        GROUP,
        this.options.consumer,
        minIdleMs,
        '0-0',
        'COUNT',
        count - out.length,
      )) as [Buffer, [Buffer, Buffer[] | null][], Buffer[]];
      out.push(...(await this.parse(stream, reply[1] ?? [], 2)));
    }
    return out;
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
    const { model, consumer } = this.options;
    const pipe = this.redis.pipeline();
    for (const e of entries) {
      start.queue(pipe, {
        keys: this.keys,
        model,
        stream: e.stream,
        entryId: e.entryId,
        predictionId: e.predictionId,
        consumer,
        now,
        maxDeliveries: this.maxDeliveries,
        retentionMs: this.retentionMs,
      });
    }
    const results = (await pipe.exec()) ?? [];
    entries.forEach((e, i) => {
      const outcome = pipelineReply(start, results, i);
      switch (outcome.code) {
        case 'RUNNING':
          e.deliveries = outcome.deliveries;
          started.run.push(e);
          break;
        case 'FENCED':
          started.fenced.push(e);
          break;
        case 'POISON':
          started.poisoned.push(e);
          break;
        case 'EXPIRED':
          started.expired.push(e);
          break;
        case 'TERMINAL':
        case 'GONE':
          // Acknowledged by the script: nothing left to do.
          break;
        default:
          exhaustive(outcome);
      }
    });
    return started;
  }

  /**
   * Stores outcomes, acknowledges and publishes completions: one round trip. Returns the
   * entries whose outcome was discarded because another consumer had taken them over.
   */
  async complete(done: { entry: Entry; outcome: Outcome }[]): Promise<Entry[]> {
    const settled = await this.settle(done);
    return done.filter((_, i) => settled[i] === 'FENCED').map((d) => d.entry);
  }

  /**
   * complete(), answering what became of each outcome: STORED, DISCARDED (the prediction was
   * already terminal, e.g. canceled while it ran) or FENCED.
   */
  async settle(done: { entry: Entry; outcome: Outcome }[]): Promise<CompleteOutcome[]> {
    if (done.length === 0) return [];
    const now = Date.now();
    const { model, consumer } = this.options;
    const pipe = this.redis.pipeline();
    for (const { entry, outcome } of done) {
      complete.queue(pipe, {
        keys: this.keys,
        model,
        stream: entry.stream,
        entryId: entry.entryId,
        predictionId: entry.predictionId,
        consumer,
        result:
          outcome.kind === 'succeeded'
            ? { status: 'succeeded', outputs: outcome.outputs }
            : { status: 'failed', code: outcome.code, message: outcome.message },
        now,
        retentionMs: this.retentionMs,
        queueMs: outcome.queueMs,
        predictMs: outcome.predictMs,
        batchSize: outcome.batchSize,
        noticeMaxBytes: NOTICE_MAX_BYTES,
      });
    }
    const replicas = this.options.waitReplicas ?? 0;
    if (replicas > 0) pipe.wait(replicas, this.options.waitTimeoutMs ?? 500);
    const results = (await pipe.exec()) ?? [];
    // With WAIT the Cluster client does not redirect the pipeline after a failover: nothing
    // ran; relearn the slots, and the caller's retry (MOVED counts as unavailable) resends.
    if (results.some(([err]) => isRedirect(err))) await refreshSlots(this.redis);
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
    if (replicas > 0 && Number(results[done.length]?.[1]) < replicas) this.unconfirmedCompletions++;
    return done.map((_, i) => pipelineReply(complete, results, i));
  }

  /** Entries read but not yet acknowledged (by any consumer of the group), all priorities. */
  async pendingCount(): Promise<number> {
    let total = 0;
    for (const stream of this.streams) {
      const summary = (await this.redis.xpending(stream, GROUP)) as [number, ...unknown[]];
      total += Number(summary[0]);
    }
    return total;
  }
}
