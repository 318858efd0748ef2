// Feeds batch jobs: any process running a BatchRunner takes the lease of a batch nobody holds,
// then reads its input line by line, submits each line (through the gateway's own submit
// path, with the Idempotency-Key `batch:<id>:<line>`), keeps at most as many of its
// predictions outstanding as capacity allows, seals finished lines into shards and writes
// them. Every step is fenced by the lease, so a process that dies mid-batch hands it over
// whole: the next holder resumes at the cursor, resubmits at most the line in flight (which
// its Idempotency-Key turns into the same prediction) and rewrites at most the shard sealed
// and unwritten (with the same lines). See docs/batches.md.
import { randomBytes } from 'node:crypto';
import { AltoError, type PredictionRecord } from '@alto/protocol';
import type { Keys } from '@alto/queue';
import { shardUri, type Batch, type PendingEntry, type SealedShard } from './batch.ts';
import { LineCursor } from './line-cursor.ts';
import { outcomeOf, resultLine, type Outcome } from './results.ts';
import { readLines, writeObject, type ObjectOptions } from './objects.ts';
import type { BatchStore } from './store.ts';

/** What the runner needs from the process it runs in (the gateway's submit path). */
export interface BatchFeed {
  /** Validates and queues one input line; the prediction's id. Throws AltoError for a refused line. */
  submit(batch: Batch, line: number, text: string): Promise<string>;
  /** How many of the batch's predictions may be outstanding now (model queue bound, key limit). */
  capacity(batch: Batch, outstanding: number): Promise<number>;
  get(id: string): Promise<PredictionRecord | undefined>;
  cancel(id: string): Promise<void>;
  /** These predictions of the batch ended (their key stops counting them). @default nothing */
  ended?(batch: Batch, ids: string[]): Promise<void>;
}

export interface BatchMetrics {
  rows(outcome: 'succeeded' | 'failed' | 'canceled', n: number): void;
  outstanding(batch: string, n: number | undefined): void;
  rate(batch: string, rowsPerSecond: number | undefined): void;
}

export interface BatchRunnerOptions {
  store: BatchStore;
  /** The queue's keys: a finished batch's webhook event goes to its model's outbox. */
  queueKeys: Pick<Keys, 'outbox' | 'webhookModels'>;
  feed: BatchFeed;
  objects?: ObjectOptions;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
  metrics?: BatchMetrics;
  /** Most of one batch's predictions outstanding at once. @default 64 */
  window?: number;
  /** Lines per shard at most. @default 1000 */
  shardLines?: number;
  /** A shard is sealed when this old even if not full. @default 2000 */
  flushMs?: number;
  /** How often a batch is looked at. @default 50 */
  tickMs?: number;
  /** How often the work list is scanned for batches nobody feeds. @default 500 */
  scanMs?: number;
  /** The lease: a holder that stops renewing it loses the batch after this long. @default 5000 */
  leaseMs?: number;
  /** Batches this process feeds at once. @default 4 */
  concurrency?: number;
  /** How long a finished batch is kept. @default 24 h */
  retentionMs?: number;
  /**
   * Fault injection for tests: called after each step whose crash the design must survive —
   * a line submitted and not yet recorded, a shard sealed and not yet written, a shard written
   * and not yet recorded. @default none
   */
  failpoint?: (step: FailStep, n: number) => void;
}

/** The steps a failpoint can stop the feeder after (see BatchRunnerOptions.failpoint). */
export type FailStep = 'submitted' | 'sealed' | 'written';

export class BatchRunner {
  private readonly o: Required<Omit<BatchRunnerOptions, 'log' | 'metrics' | 'objects' | 'failpoint'>> &
    BatchRunnerOptions;
  private readonly token = randomBytes(8).toString('hex');
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** Ends every sleep at once: stop() does not wait out a scan interval. */
  private readonly stopping = new AbortController();

  constructor(o: BatchRunnerOptions) {
    this.o = {
      window: 64,
      shardLines: 1000,
      flushMs: 2000,
      tickMs: 50,
      scanMs: 500,
      leaseMs: 5000,
      concurrency: 4,
      retentionMs: 86_400_000,
      ...o,
    };
  }

  start(): void {
    this.loop ??= this.scan();
  }

  /** Stops taking batches and lets go of those it feeds (their leases lapse to another process). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    await this.loop;
    await Promise.allSettled(this.running.values());
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopping.signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.stopping.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stopping.signal.addEventListener('abort', done);
    });
  }

  private async scan(): Promise<void> {
    while (!this.stopped) {
      try {
        for (const id of await this.o.store.active()) {
          if (this.running.size >= this.o.concurrency) break;
          if (this.running.has(id)) continue;
          const got = await this.o.store.lease(id, this.token, this.o.leaseMs);
          if (got.code === 'GONE') await this.o.store.retire(id);
          if (got.code !== 'OWNED') continue;
          const task = this.feedBatch(id)
            .catch((err: unknown) => this.o.log?.warn({ err, batch: id }, 'batch feeder stopped; will resume'))
            .finally(() => this.running.delete(id));
          this.running.set(id, task);
        }
      } catch (err) {
        this.o.log?.warn({ err }, 'batch scan failed; retrying');
      }
      await this.sleep(this.o.scanMs);
    }
  }

  /** Feeds one batch while this process holds its lease; returns when it ends or the lease is lost. */
  private async feedBatch(id: string): Promise<void> {
    const { store, feed } = this.o;
    let lines: LineCursor | undefined;
    let lastSeal = Date.now();
    const cancelAsked = new Set<string>();
    /** Outcomes seen of pending lines (a terminal prediction does not change). */
    const seen = new Map<number, { outcome: Outcome; record: PredictionRecord | undefined }>();
    let renewedAt = Date.now();
    try {
      for (;;) {
        if (this.stopped) return;
        if (Date.now() - renewedAt > this.o.leaseMs / 3) {
          if ((await store.lease(id, this.token, this.o.leaseMs)).code !== 'OWNED') return;
          renewedAt = Date.now();
        }
        let batch = await store.get(id);
        if (!batch) return;
        if (batch.finishedAt !== null) {
          // Ended by a holder that died before announcing it: announce it now.
          if (batch.webhook && !batch.webhookSent) await store.announce(batch, this.o.queueKeys);
          await store.retire(id);
          return;
        }
        if (batch.total === null && batch.status === 'running') {
          const counted = await this.count(batch).catch((err: unknown) => err as Error);
          if (counted instanceof Error) {
            await this.end(batch, 'failed', {
              code: 'input_unreadable',
              message: `input_uri '${batch.inputUri}': ${counted.message}`,
            });
            return;
          }
          await store.setTotal(id, counted.total, counted.lastLine);
          batch = { ...batch, ...counted };
        }
        // A shard sealed before a crash is written first, with the lines it was sealed with.
        if (batch.written < batch.sealed) {
          if (!(await this.writeShard(batch, batch.sealed))) return;
          continue;
        }
        const pending = await store.pending(id);
        const running: [number, PendingEntry & { p: string }][] = [];
        await Promise.all(
          [...pending].map(async ([line, entry]) => {
            if (seen.has(line)) return;
            const record = 'p' in entry ? await feed.get(entry.p) : undefined;
            const outcome = outcomeOf(entry, record);
            if (outcome) seen.set(line, { outcome, record });
            else running.push([line, entry as PendingEntry & { p: string }]);
          }),
        );
        for (const line of seen.keys()) if (!pending.has(line)) seen.delete(line);
        const canceled = batch.status === 'canceled';
        if (canceled) {
          for (const [, e] of running) {
            if (cancelAsked.has(e.p)) continue;
            cancelAsked.add(e.p);
            await feed.cancel(e.p);
          }
        }
        const exhausted = batch.lastLine !== null && batch.fed >= batch.lastLine;
        const finished = [...pending.keys()].filter((l) => seen.has(l));
        const due = Date.now() - lastSeal >= this.o.flushMs || ((exhausted || canceled) && running.length === 0);
        if (finished.length >= this.o.shardLines || (finished.length > 0 && due)) {
          const chosen = finished.sort((a, b) => a - b).slice(0, this.o.shardLines);
          if (!(await this.sealShard(batch, chosen, pending, seen))) return;
          lastSeal = Date.now();
          continue;
        }
        if ((exhausted || canceled) && pending.size === 0) {
          await this.end(batch, 'succeeded');
          return;
        }
        let fedNow = 0;
        if (batch.status === 'running' && !exhausted) {
          const room = Math.min(this.o.window, await feed.capacity(batch, running.length)) - running.length;
          if (room > 0) {
            lines ??= new LineCursor(this.resume(batch));
            const r = await this.feedLines(batch, lines, room);
            if (r === 'lost') return;
            fedNow = r;
          }
        }
        this.o.metrics?.outstanding(id, running.length);
        this.o.metrics?.rate(id, rate(batch));
        if (fedNow === 0) await this.sleep(this.o.tickMs);
      }
    } finally {
      this.o.metrics?.outstanding(id, undefined);
      this.o.metrics?.rate(id, undefined);
      await lines?.close();
    }
  }

  private async count(b: Batch): Promise<{ total: number; lastLine: number }> {
    let total = 0;
    let lastLine = 0;
    for await (const [n, text] of readLines(b.inputUri, this.o.objects)) {
      if (text.trim() === '') continue;
      total++;
      lastLine = n;
    }
    return { total, lastLine };
  }

  /** The input's lines after the cursor. */
  private async *resume(b: Batch): AsyncGenerator<[number, string]> {
    for await (const [n, text] of readLines(b.inputUri, this.o.objects)) {
      if (n <= b.fed || text.trim() === '') continue;
      yield [n, text];
    }
  }

  /** Submits up to `room` lines; how many, or 'lost' when the lease or the batch's run ended. */
  private async feedLines(b: Batch, lines: LineCursor, room: number): Promise<number | 'lost'> {
    let fed = 0;
    while (fed < room) {
      const next = await lines.next();
      if (!next) break;
      const [line, text] = next;
      let entry: PendingEntry;
      const custom = customId(text);
      try {
        const id = await this.o.feed.submit(b, line, text);
        this.o.failpoint?.('submitted', line);
        entry = { p: id, ...(custom !== undefined ? { c: custom } : {}) };
      } catch (err) {
        if (!(err instanceof AltoError)) throw err;
        if (err.retryable) {
          // Capacity ran out between the check and the submit (or Redis is short of memory):
          // the line is submitted again on a later tick.
          lines.unread(next);
          return fed;
        }
        entry = { e: { code: err.code, message: err.message }, ...(custom !== undefined ? { c: custom } : {}) };
      }
      const r = await this.o.store.feed(b.id, this.token, line, entry);
      if (r.code === 'STOPPED' && 'p' in entry) await this.o.feed.cancel(entry.p);
      if (r.code !== 'FED') return 'lost';
      fed++;
    }
    return fed;
  }

  private async sealShard(
    b: Batch,
    chosen: number[],
    pending: Map<number, PendingEntry>,
    seen: Map<number, { outcome: Outcome; record: PredictionRecord | undefined }>,
  ): Promise<boolean> {
    const counts = { succeeded: 0, failed: 0, canceled: 0 };
    for (const line of chosen) counts[seen.get(line)!.outcome]++;
    const record: SealedShard = { lines: chosen.map((line) => [line, pending.get(line)!]) };
    const shard = b.sealed + 1;
    const r = await this.o.store.seal(b.id, this.token, shard, record, counts);
    if (r.code !== 'SEALED') return false;
    this.o.failpoint?.('sealed', shard);
    for (const [k, n] of Object.entries(counts)) if (n > 0) this.o.metrics?.rows(k as Outcome, n);
    const ids = chosen.map((l) => pending.get(l)!).flatMap((e) => ('p' in e ? [e.p] : []));
    await this.o.feed.ended?.(b, ids);
    const records = new Map(chosen.map((l) => [l, seen.get(l)!.record]));
    return this.writeShard({ ...b, sealed: shard }, shard, record, records);
  }

  /** Writes sealed shard `n` from its record (reading the predictions again when not given). */
  private async writeShard(
    b: Batch,
    n: number,
    record?: SealedShard,
    records?: Map<number, PredictionRecord | undefined>,
  ): Promise<boolean> {
    const shard = record ?? (await this.o.store.sealedShard(b.id, n));
    if (!shard) return false;
    const out = await Promise.all(
      shard.lines.map(async ([line, entry]) => {
        const r = records?.has(line) ? records.get(line) : 'p' in entry ? await this.o.feed.get(entry.p) : undefined;
        return JSON.stringify(resultLine(line, entry, r));
      }),
    );
    await writeObject(shardUri(b, n), out.join('\n') + '\n', this.o.objects);
    this.o.failpoint?.('written', n);
    return (await this.o.store.written(b.id, this.token, n)).code === 'WRITTEN';
  }

  private async end(b: Batch, status: 'succeeded' | 'failed', error?: { code: string; message: string }) {
    const r = await this.o.store.finish(b.id, {
      token: this.token,
      status,
      now: Date.now(),
      retentionMs: this.o.retentionMs,
      ...(error ? { error } : {}),
    });
    if (r.code === 'FINISHED') {
      // Kept on the work list until its webhook event is handed over (a crash here: the next
      // holder finds it finished and announces it).
      const ended = await this.o.store.get(b.id);
      if (ended?.webhook) await this.o.store.announce(ended, this.o.queueKeys);
      await this.o.store.retire(b.id);
      this.o.log?.info({ batch: b.id, status: r.status }, 'batch finished');
    }
  }
}

const rate = (b: Batch) => {
  const s = b.startedAt === null ? 0 : (Date.now() - b.startedAt) / 1000;
  return s > 0 ? (b.succeeded + b.failed + b.canceled) / s : 0;
};

/** The line's custom_id, when it is JSON with a string or number custom_id. */
function customId(text: string): string | number | undefined {
  try {
    const v = (JSON.parse(text) as { custom_id?: unknown }).custom_id;
    return typeof v === 'string' || typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}
