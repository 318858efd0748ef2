// Serves one model's stream. Batching policy (see README, "Batching"):
//  - read up to max_batch_size entries; a lone request on an idle worker runs at once;
//  - while every inference thread is busy, the next batch is read ahead and topped up
//    just before it starts, so batches fill under load without a fixed wait;
//  - with max_queue_delay_ms > 0, a partly filled batch also waits up to that long for
//    more (Triton's max_queue_delay), trading latency for larger batches.
// Fetching, computing and writing overlap: the main thread reads and writes while the
// inference threads compute.
import { AltoError, encodeTensors, type ModelInfo } from '@alto/protocol';
import { isRedisUnavailable, type Entry, type Outcome, type StreamConsumer } from '@alto/queue';
import { concatInputs, planBatches, rowsOf, runIsolating, splitOutputs, type Executor, type Settled } from '@alto/runtime';
import type { Logger } from '@alto/telemetry';
import type { WorkerMetrics } from './metrics.ts';

export interface ModelLoopOptions {
  info: ModelInfo;
  executor: Executor;
  consumer: StreamConsumer;
  workerId: string;
  instances: number;
  log: Logger;
  metrics: WorkerMetrics;
  /** Longest a blocking read waits; bounds how fast the loop notices a stop. @default 1000 */
  blockMs?: number;
  /**
   * How long another worker may hold an entry before this one takes it over; raised to 5×
   * the longest batch seen, so slow models are not reclaimed mid-batch. @default 30000
   */
  visibilityMs?: number;
  /** Runs before each inference with its requests (fault injection, see failpoint.ts). */
  failpoint?: (group: Entry[]) => Promise<void> | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ModelLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private freeSlots: number;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly blockMs: number;
  private longestBatchMs = 0;
  private lastReclaim = 0;

  constructor(private readonly o: ModelLoopOptions) {
    this.freeSlots = o.instances;
    this.blockMs = o.blockMs ?? 1000;
  }

  /** Batching follows the served info, which an updated assignment may change. */
  private get maxRead(): number {
    return Math.max(1, this.o.info.batching.max_batch_size);
  }

  /** Idle time after which an entry held by another consumer is taken over. */
  get visibilityMs(): number {
    return Math.max(this.o.visibilityMs ?? 30_000, 5 * this.longestBatchMs);
  }

  /** Entries of dead or stalled workers, checked every half visibility (at most every 5 s). */
  private async reclaimDue(): Promise<Entry[]> {
    const every = Math.max(100, Math.min(this.visibilityMs / 2, 5000));
    if (Date.now() - this.lastReclaim < every) return [];
    this.lastReclaim = Date.now();
    // One at a time, like a restart's own backlog (see runAlone); the next is due at once.
    const claimed = await this.o.consumer.reclaim(this.visibilityMs, 1);
    if (claimed.length > 0) {
      this.lastReclaim = 0;
      this.o.log.warn({ model: this.name, prediction_ids: claimed.map((e) => e.predictionId) }, 'took over entries of a silent worker');
    }
    return claimed;
  }

  get name(): string {
    return this.o.info.name;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops reading, then waits for every batch read so far to be computed and stored. */
  async drain(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.idle();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const claimed = await this.reclaimDue();
        const entries = claimed.length > 0 ? claimed : await this.o.consumer.read(this.maxRead, this.blockMs);
        failures = 0;
        if (entries.length === 0) continue;
        await this.fill(entries);
        if (this.freeSlots > 0 && entries.every((e) => e.deliveries === 1)) {
          // A free thread and new entries (none can be poison or another worker's): compute
          // while the round trip that marks them running is in flight; what it turns away
          // (canceled, expired meanwhile) is computed for nothing and not stored.
          this.freeSlots--;
          this.track(this.process(entries, this.markRunning(entries)));
          continue;
        }
        // Marked running now, while the previous batch may still compute: the round trip
        // overlaps inference instead of sitting between two batches.
        const runnable = await this.markRunning(entries);
        if (runnable.some((e) => e.deliveries > 1)) {
          await this.runAlone(runnable);
          continue;
        }
        if (this.freeSlots === 0) {
          await new Promise<void>((r) => this.slotWaiters.push(r));
          // The batch waited for a thread; take what arrived meanwhile.
          if (entries.length < this.maxRead) {
            runnable.push(...(await this.markRunning(await this.o.consumer.read(this.maxRead - entries.length, 0))));
          }
        }
        if (runnable.length === 0) continue;
        this.freeSlots--;
        this.track(this.process(runnable));
      } catch (err) {
        failures++;
        const level = isRedisUnavailable(err) ? 'warn' : 'error';
        this.o.log[level]({ err, model: this.name }, 'reading the stream failed; retrying');
        await sleep(Math.min(100 * 2 ** Math.min(failures, 5), 2000));
      }
    }
    // Stopped reading: finish what was read ahead but not yet taken, instead of leaving it
    // pending until another worker's visibility timeout.
    for (let spare = this.o.consumer.takeSpare(this.maxRead); spare.length > 0; spare = this.o.consumer.takeSpare(this.maxRead)) {
      try {
        const runnable = await this.markRunning(spare);
        if (runnable.length === 0) continue;
        if (this.freeSlots === 0) await new Promise<void>((r) => this.slotWaiters.push(r));
        this.freeSlots--;
        this.track(this.process(runnable));
      } catch (err) {
        // Left pending: taken over after the visibility timeout, as after a crash.
        this.o.log.warn({ err, model: this.name }, 'finishing read-ahead entries failed');
        return;
      }
    }
  }

  /**
   * Entries an earlier delivery did not finish (this worker's own from before a restart, or
   * a silent worker's) may be what killed that worker — a native crash, an out-of-memory
   * kill. Each runs alone, with nothing else in flight, and nothing more is read until it is
   * stored: if it kills this worker too, only it is delivered again, and only it reaches
   * ALTO_MAX_DELIVERIES and is dead-lettered; requests that shared its batch succeed.
   */
  private async runAlone(entries: Entry[]): Promise<void> {
    for (const entry of entries) {
      await this.idle();
      this.freeSlots--;
      this.track(this.process([entry]));
    }
    await this.idle();
  }

  private async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  /** Waits up to max_queue_delay_ms for a partly filled batch to fill. */
  private async fill(entries: Entry[]): Promise<void> {
    const delay = this.o.info.batching.max_queue_delay_ms;
    if (delay === 0) return;
    const deadline = entries[0]!.readAt + delay;
    while (entries.length < this.maxRead && this.running) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      entries.push(...(await this.o.consumer.read(this.maxRead - entries.length, Math.max(1, Math.round(left)))));
    }
  }

  private track(work: Promise<void>): void {
    // A batch that fails outside inference (e.g. a script error) stays pending in the
    // stream for redelivery; it must not take the loop down.
    const p = work.catch((err: unknown) => this.o.log.error({ err, model: this.name }, 'batch failed; left pending'));
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private releaseSlot(): void {
    this.freeSlots++;
    this.slotWaiters.shift()?.();
  }

  /** Marks entries running; returns those still to compute (not canceled or expired). */
  private async markRunning(entries: Entry[]): Promise<Entry[]> {
    if (entries.length === 0) return [];
    const { run, poisoned, fenced, expired } = await this.retry(() => this.o.consumer.start(entries));
    if (expired.length > 0) this.o.metrics.predictions.inc({ model: this.name, status: 'expired' }, expired.length);
    if (poisoned.length > 0) this.o.metrics.predictions.inc({ model: this.name, status: 'poison' }, poisoned.length);
    if (poisoned.length > 0) {
      this.o.log.error({ model: this.name, prediction_ids: poisoned.map((e) => e.predictionId) }, 'poison: dead-lettered after too many deliveries');
    }
    if (fenced.length > 0) {
      this.o.log.warn({ model: this.name, prediction_ids: fenced.map((e) => e.predictionId) }, 'entries taken over by another worker; skipped');
    }
    return run;
  }

  /**
   * Computes `entries` and stores the outcomes of those `started` resolves to (all of them
   * unless a start round trip is still in flight as they compute).
   */
  private async process(entries: Entry[], started: Promise<Entry[]> = Promise.resolve(entries)): Promise<void> {
    const { info, metrics } = this.o;
    const writes: Promise<void>[] = [];
    // Awaited once there is something to store; a failure leaves the entries pending.
    const running = started.then((run) => new Set(run));
    running.catch(() => undefined);
    try {
      for (const group of planBatches(entries, info.batching.max_batch_size)) {
        const startedAt = Date.now();
        for (const e of group) metrics.queueWait.observe({ model: info.name }, startedAt - e.createdAt);
        // A failing batch is retried in halves: the culprit fails alone, the rest succeed.
        for (const settled of await runIsolating(group, (g) => this.infer(g))) {
          const outcomes = this.outcomes(settled, startedAt);
          writes.push(running.then((run) => {
            const keep = settled.items.flatMap((e, i) => (run.has(e) ? [{ e, o: outcomes[i]! }] : []));
            return this.store(keep.map((k) => k.e), keep.map((k) => k.o));
          }));
        }
      }
    } finally {
      this.releaseSlot();
    }
    await Promise.all(writes);
  }

  /** One inference over a group; returns each request's encoded outputs. */
  private async infer(group: Entry[]): Promise<{ outputs: Buffer[]; ms: number; rows: number }> {
    const { info, executor, metrics } = this.o;
    const rows = group.map(rowsOf);
    const total = rows.reduce((a, b) => a + b, 0);
    const started = Date.now();
    metrics.busy.inc({ model: info.name });
    try {
      await this.o.failpoint?.(group);
      const result = await executor.run(concatInputs(group));
      const maps = splitOutputs(result.outputs, rows);
      metrics.inference.observe({ model: info.name }, result.ms);
      metrics.batchSize.observe({ model: info.name }, total);
      return { outputs: maps.map((m) => encodeTensors(m)), ms: result.ms, rows: total };
    } finally {
      metrics.busy.dec({ model: info.name });
      this.longestBatchMs = Math.max(this.longestBatchMs, Date.now() - started);
    }
  }

  private outcomes(settled: Settled<Entry, { outputs: Buffer[]; ms: number; rows: number }>, startedAt: number): Outcome[] {
    const { info, log } = this.o;
    const group = settled.items;
    if (settled.result) {
      const { outputs, ms, rows } = settled.result;
      return group.map((e, i) => ({
        kind: 'succeeded', outputs: outputs[i]!,
        queueMs: startedAt - e.createdAt, predictMs: Math.round(ms * 1000) / 1000, batchSize: rows,
      }));
    }
    const err = settled.error;
    const message = err instanceof Error ? err.message : String(err);
    log.error({ err, model: info.name, prediction_ids: group.map((e) => e.predictionId) }, 'inference failed');
    return group.map((e) => ({
      kind: 'failed', code: err instanceof AltoError ? err.code : 'inference_failed',
      message: `model '${info.name}' failed on this request: ${message}`,
      queueMs: startedAt - e.createdAt, predictMs: Date.now() - startedAt, batchSize: rowsOf(e),
    }));
  }

  private async store(group: Entry[], outcomes: Outcome[]): Promise<void> {
    const { consumer, metrics, log, info } = this.o;
    const fenced = await this.retry(() => consumer.complete(group.map((entry, i) => ({ entry, outcome: outcomes[i]! }))));
    if (fenced.length > 0) {
      log.warn({ model: info.name, prediction_ids: fenced.map((e) => e.predictionId) }, 'results discarded: another worker took these entries over');
    }
    group.forEach((e, i) => {
      const o = outcomes[i]!;
      metrics.predictions.inc({ model: info.name, status: o.kind });
      log.debug({ prediction_id: e.predictionId, model: info.name, status: o.kind, batch_size: o.batchSize }, 'prediction finished');
    });
  }

  /**
   * Retries a Redis step while Redis is unreachable: a computed result is kept until it is
   * stored. Other errors propagate (the entries stay pending and are redelivered).
   */
  private async retry<T>(step: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await step();
      } catch (err) {
        if (!isRedisUnavailable(err)) throw err;
        this.o.log.warn({ err, model: this.name, attempt }, 'Redis unavailable; retrying');
        await sleep(Math.min(100 * 2 ** Math.min(attempt, 5), 2000));
      }
    }
  }
}
