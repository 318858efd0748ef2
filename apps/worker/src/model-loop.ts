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
import { concatInputs, planBatches, rowsOf, splitOutputs, type Executor } from '@alto/runtime';
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
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ModelLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private freeSlots: number;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly maxRead: number;
  private readonly blockMs: number;

  constructor(private readonly o: ModelLoopOptions) {
    this.freeSlots = o.instances;
    this.maxRead = Math.max(1, o.info.batching.max_batch_size);
    this.blockMs = o.blockMs ?? 1000;
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
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const entries = await this.o.consumer.read(this.maxRead, this.blockMs);
        failures = 0;
        if (entries.length === 0) continue;
        await this.fill(entries);
        // Marked running now, while the previous batch may still compute: the round trip
        // overlaps inference instead of sitting between two batches.
        const runnable = await this.markRunning(entries);
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
  private markRunning(entries: Entry[]): Promise<Entry[]> {
    return entries.length === 0 ? Promise.resolve([]) : this.retry(() => this.o.consumer.start(entries, this.o.workerId));
  }

  private async process(runnable: Entry[]): Promise<void> {
    const { info, executor, metrics, log } = this.o;
    const writes: Promise<void>[] = [];
    try {
      for (const group of planBatches(runnable, info.batching.max_batch_size)) {
        const rows = group.map(rowsOf);
        const batchRows = rows.reduce((a, b) => a + b, 0);
        const startedAt = Date.now();
        metrics.busy.inc({ model: info.name });
        let outcomes: Outcome[];
        try {
          const result = await executor.run(concatInputs(group));
          const maps = splitOutputs(result.outputs, rows);
          metrics.inference.observe({ model: info.name }, result.ms);
          metrics.batchSize.observe({ model: info.name }, batchRows);
          outcomes = group.map((e, i) => ({
            kind: 'succeeded', outputs: encodeTensors(maps[i]!),
            queueMs: startedAt - e.createdAt, predictMs: Math.round(result.ms * 1000) / 1000, batchSize: batchRows,
          }));
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          log.error({ err, model: info.name, prediction_ids: group.map((e) => e.predictionId) }, 'inference failed');
          outcomes = group.map((e) => ({
            kind: 'failed', code: err instanceof AltoError ? err.code : 'inference_failed',
            message: `model '${info.name}' failed on a batch of ${batchRows}: ${message}`,
            queueMs: startedAt - e.createdAt, predictMs: Date.now() - startedAt, batchSize: batchRows,
          }));
        } finally {
          metrics.busy.dec({ model: info.name });
        }
        for (const e of group) metrics.queueWait.observe({ model: info.name }, startedAt - e.createdAt);
        writes.push(this.store(group, outcomes));
      }
    } finally {
      this.releaseSlot();
    }
    await Promise.all(writes);
  }

  private async store(group: Entry[], outcomes: Outcome[]): Promise<void> {
    const { consumer, metrics, log, info } = this.o;
    await this.retry(() => consumer.complete(group.map((entry, i) => ({ entry, outcome: outcomes[i]! }))));
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
