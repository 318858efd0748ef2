// Serves one model's stream (or one version's): the batching policy of scheduler.ts over
// the real stream consumer and executor. This file does the I/O — marks entries running,
// assembles and splits tensors, stores outcomes, counts metrics — and decides nothing
// about when to read or what to run. Fetching, computing and writing overlap: the main
// thread reads and writes while the inference threads compute.
import {
  AltoError,
  OUTPUT_URI_ENTRY,
  PredictionFailure,
  encodeTensors,
  splitOutputUri,
  type ModelInfo,
} from '@alto/protocol';
import { isOutOfMemory, isRedisUnavailable, type Entry, type Outcome, type StreamConsumer } from '@alto/queue';
import {
  concatInputs,
  planBatches,
  rowsOf,
  runIsolating,
  splitOutputs,
  type Executor,
  type Settled,
} from '@alto/runtime';
import { PayloadStore } from '@alto/repository';
import type { Logger } from '@alto/telemetry';
import { Payloads, hasReferences, type ResolvedEntry } from './payloads.ts';
import { batchSpan, executorSpan, queueWaitSpans, storeSpan, type BatchTrace } from './tracing.ts';
import type { KeyUsageRecorder } from './key-usage.ts';
import type { WorkerMetrics } from './metrics.ts';
import { Scheduler } from './scheduler.ts';
import type { SlotPool } from './slot-pool.ts';

export interface ModelLoopOptions {
  info: ModelInfo;
  executor: Executor;
  /** The executor's slots, shared by every loop over the same executor. */
  slots: SlotPool;
  consumer: StreamConsumer;
  workerId: string;
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
  /** Counts each settled prediction and its compute against its API key (key-usage.ts). */
  usage?: KeyUsageRecorder;
  /** Reads inputs and writes outputs given by reference (payloads.ts). @default none allowed */
  payloads?: Payloads;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ModelLoop {
  private readonly scheduler: Scheduler<Entry>;
  private longestBatchMs = 0;
  private readonly payloads: Payloads;
  /** Entries whose references are being read, from when they were read off the stream. */
  private readonly resolving = new WeakMap<Entry, Promise<ResolvedEntry | PredictionFailure>>();
  /** Where the outputs of entries that hold anything by reference may go. */
  private readonly outputTo = new WeakMap<Entry, Pick<ResolvedEntry, 'outputUri' | 'byReference'>>();

  constructor(private readonly o: ModelLoopOptions) {
    const { consumer, log } = o;
    this.payloads = o.payloads ?? new Payloads({ store: new PayloadStore({ roots: [] }), inlineMaxBytes: Infinity });
    this.scheduler = new Scheduler<Entry>({
      source: {
        read: async (count, blockMs) => this.prefetch(await consumer.read(count, blockMs)),
        reclaim: async (minIdleMs, count) => this.prefetch(await consumer.reclaim(minIdleMs, count)),
        takeSpare: (count) => this.prefetch(consumer.takeSpare(count)),
        start: (entries) => this.markRunning(entries),
      },
      compute: (batch, started, computed) => this.process(batch, started, computed),
      pool: o.slots,
      // Batching follows the served info, which an updated assignment may change.
      batching: () => ({
        maxBatchSize: o.info.batching.max_batch_size,
        maxQueueDelayMs: o.info.batching.max_queue_delay_ms,
      }),
      visibilityMs: () => this.visibilityMs,
      ...(o.blockMs === undefined ? {} : { blockMs: o.blockMs }),
      onReadError: (err) => {
        log[isRedisUnavailable(err) ? 'warn' : 'error'](
          { err, model: this.name },
          'reading the stream failed; retrying',
        );
      },
      onBatchError: (err) => log.error({ err, model: this.name }, 'batch failed; left pending'),
      onReclaimed: (claimed) => {
        log.warn(
          { model: this.name, prediction_ids: claimed.map((e) => e.predictionId) },
          'took over entries of a silent worker',
        );
      },
      // Left pending: taken over after the visibility timeout, as after a crash.
      onDrainError: (err) => log.warn({ err, model: this.name }, 'finishing read-ahead entries failed'),
    });
  }

  /** Idle time after which an entry held by another consumer is taken over. */
  get visibilityMs(): number {
    return Math.max(this.o.visibilityMs ?? 30_000, 5 * this.longestBatchMs);
  }

  get name(): string {
    return this.o.info.name;
  }

  start(): void {
    this.scheduler.start();
  }

  /** Stops reading, then waits for every batch read so far to be computed and stored. */
  async drain(): Promise<void> {
    await this.scheduler.drain();
    await this.o.usage?.flush();
  }

  /**
   * Starts reading the objects entries name (all of them at once), so the downloads overlap
   * the wait for a slot and other batches' inference; process() awaits them.
   */
  private prefetch(entries: Entry[]): Entry[] {
    for (const e of entries) {
      if (!hasReferences(e.inputs) || this.resolving.has(e)) continue;
      const p = this.payloads
        .resolve(e.inputs, this.o.info)
        .catch((err: unknown) =>
          err instanceof PredictionFailure
            ? err
            : new PredictionFailure('input_unreadable', `reading its inputs failed: ${(err as Error).message}`),
        );
      this.resolving.set(e, p);
    }
    return entries;
  }

  /** The entries ready to compute (references read), and those that failed on their inputs. */
  private async resolve(entries: Entry[]): Promise<{ ready: Entry[]; failed: [Entry, PredictionFailure][] }> {
    this.prefetch(entries);
    const ready: Entry[] = [];
    const failed: [Entry, PredictionFailure][] = [];
    for (const e of entries) {
      const pending = this.resolving.get(e);
      if (pending === undefined) {
        // Nothing to read; where its outputs go may still ride with its inputs.
        if (e.inputs.has(OUTPUT_URI_ENTRY)) {
          const { inputs, ...to } = splitOutputUri(e.inputs);
          e.inputs = inputs;
          this.outputTo.set(e, to);
        }
        ready.push(e);
        continue;
      }
      const r = await pending;
      if (r instanceof PredictionFailure) failed.push([e, r]);
      else {
        e.inputs = r.inputs;
        this.outputTo.set(e, { outputUri: r.outputUri, byReference: r.byReference });
        this.resolving.delete(e);
        ready.push(e);
      }
    }
    return { ready, failed };
  }

  /** Marks entries running; returns those still to compute (not canceled or expired). */
  private async markRunning(entries: Entry[]): Promise<Entry[]> {
    if (entries.length === 0) return [];
    const { run, poisoned, fenced, expired } = await this.retry(() => this.o.consumer.start(entries));
    if (expired.length > 0) this.o.metrics.predictions.inc({ model: this.name, status: 'expired' }, expired.length);
    if (poisoned.length > 0) this.o.metrics.predictions.inc({ model: this.name, status: 'poison' }, poisoned.length);
    // Not waited for on the way to compute; drain() waits for it.
    this.o.usage?.settled(this.name, expired, 'expired');
    this.o.usage?.settled(this.name, poisoned, 'failed');
    if (poisoned.length > 0) {
      this.o.log.error(
        { model: this.name, prediction_ids: poisoned.map((e) => e.predictionId) },
        'poison: dead-lettered after too many deliveries',
      );
    }
    if (fenced.length > 0) {
      this.o.log.warn(
        { model: this.name, prediction_ids: fenced.map((e) => e.predictionId) },
        'entries taken over by another worker; skipped',
      );
    }
    return run;
  }

  /**
   * Computes `entries`, calls `computed` when inference is over, and stores the outcomes of
   * those `started` resolves to (all of them unless a start round trip is still in flight
   * as they compute).
   */
  private async process(entries: Entry[], started: Promise<Entry[]>, computed: () => void): Promise<void> {
    const { info, metrics } = this.o;
    const writes: Promise<void>[] = [];
    // Awaited once there is something to store; a failure leaves the entries pending.
    const running = started.then((run) => new Set(run));
    running.catch(() => undefined);
    try {
      const { ready, failed } = await this.resolve(entries);
      if (failed.length > 0) {
        // Only these fail: the rest of the batch computes.
        const now = Date.now();
        writes.push(
          running.then((run) => {
            const keep = failed.filter(([e]) => run.has(e));
            return this.store(
              keep.map(([e]) => e),
              keep.map(([e, f]) => ({
                kind: 'failed',
                code: f.code,
                message: f.message,
                queueMs: now - e.createdAt,
                predictMs: 0,
                batchSize: 0,
              })),
            );
          }),
        );
      }
      for (const group of planBatches(ready, info.batching.max_batch_size)) {
        const startedAt = Date.now();
        for (const e of group) metrics.queueWait.observe({ model: info.name }, startedAt - e.createdAt);
        queueWaitSpans(group, startedAt, info.name);
        const batch = batchSpan(group, info.name, this.o.workerId);
        const stored: Promise<void>[] = [];
        try {
          // A failing batch is retried in halves: the culprit fails alone, the rest succeed.
          for (const settled of await runIsolating(group, (g) => this.infer(g, batch))) {
            const outcomes = this.outcomes(settled, startedAt);
            stored.push(
              running.then((run) => {
                const keep = settled.items.flatMap((e, i) => (run.has(e) ? [{ e, o: outcomes[i]! }] : []));
                return storeSpan(batch, keep.length, () =>
                  this.store(
                    keep.map((k) => k.e),
                    keep.map((k) => k.o),
                  ),
                );
              }),
            );
          }
        } finally {
          // The batch span lasts until its results are stored (or storing them failed).
          void Promise.allSettled(stored).then(() => batch.end());
        }
        writes.push(...stored);
      }
    } finally {
      computed();
    }
    await Promise.all(writes);
  }

  /** One inference over a group; returns each request's encoded outputs. */
  private async infer(group: Entry[], batch: BatchTrace): Promise<{ outputs: Buffer[]; ms: number; rows: number }> {
    const { info, executor, metrics } = this.o;
    const rows = group.map(rowsOf);
    const total = rows.reduce((a, b) => a + b, 0);
    const started = Date.now();
    metrics.busy.inc({ model: info.name });
    try {
      await this.o.failpoint?.(group);
      const result = await executorSpan(batch, total, () => executor.run(concatInputs(group)));
      const maps = splitOutputs(result.outputs, rows);
      metrics.inference.observe({ model: info.name }, result.ms);
      metrics.batchSize.observe({ model: info.name }, total);
      return { outputs: maps.map((m) => encodeTensors(m)), ms: result.ms, rows: total };
    } finally {
      metrics.busy.dec({ model: info.name });
      this.longestBatchMs = Math.max(this.longestBatchMs, Date.now() - started);
    }
  }

  private outcomes(
    settled: Settled<Entry, { outputs: Buffer[]; ms: number; rows: number }>,
    startedAt: number,
  ): Outcome[] {
    const { info, log } = this.o;
    const group = settled.items;
    if (settled.result) {
      const { outputs, ms, rows } = settled.result;
      return group.map((e, i) => ({
        kind: 'succeeded',
        outputs: outputs[i]!,
        queueMs: startedAt - e.createdAt,
        predictMs: Math.round(ms * 1000) / 1000,
        batchSize: rows,
      }));
    }
    const err = settled.error;
    const message = err instanceof Error ? err.message : String(err);
    log.error({ err, model: info.name, prediction_ids: group.map((e) => e.predictionId) }, 'inference failed');
    return group.map((e) => ({
      kind: 'failed',
      code: err instanceof AltoError ? err.code : 'inference_failed',
      message: `model '${info.name}' failed on this request: ${message}`,
      queueMs: startedAt - e.createdAt,
      predictMs: Date.now() - startedAt,
      batchSize: rowsOf(e),
    }));
  }

  private async store(group: Entry[], placing: Outcome[]): Promise<void> {
    const { consumer, metrics, log, info } = this.o;
    // Without an output root only requests that gave output_uri have outputs to write.
    const writes = this.payloads.hasOutputRoot || group.some((e) => this.outputTo.get(e)?.outputUri !== undefined);
    const outcomes = writes ? await Promise.all(group.map((e, i) => this.place(e, placing[i]!))) : placing;
    const settled = await this.retry(() =>
      consumer.settle(group.map((entry, i) => ({ entry, outcome: outcomes[i]! }))),
    );
    const fenced = group.filter((_, i) => settled[i] === 'FENCED');
    if (fenced.length > 0) {
      log.warn(
        { model: info.name, prediction_ids: fenced.map((e) => e.predictionId) },
        'results discarded: another worker took these entries over',
      );
    }
    group.forEach((e, i) => {
      const o = outcomes[i]!;
      metrics.predictions.inc({ model: info.name, status: o.kind });
      log.debug(
        { prediction_id: e.predictionId, model: info.name, status: o.kind, batch_size: o.batchSize },
        'prediction finished',
      );
    });
    await this.o.usage?.batch(info.name, group, outcomes, new Set(group.filter((_, i) => settled[i] === 'STORED')));
  }

  /** The outcome with its outputs written to objects where they go there (payloads.ts). */
  private async place(e: Entry, o: Outcome): Promise<Outcome> {
    if (o.kind !== 'succeeded') return o;
    try {
      const to = this.outputTo.get(e) ?? { outputUri: undefined, byReference: true };
      return { ...o, outputs: await this.payloads.place(e.predictionId, o.outputs, to) };
    } catch (err) {
      if (!(err instanceof PredictionFailure)) throw err;
      const { queueMs, predictMs, batchSize } = o;
      return { kind: 'failed', code: err.code, message: err.message, queueMs, predictMs, batchSize };
    }
  }

  /**
   * Retries a Redis step while Redis is unreachable or full: a computed result is kept until it is
   * stored. Other errors propagate (the entries stay pending and are redelivered).
   */
  private async retry<T>(step: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await step();
      } catch (err) {
        // A write refused for memory (OOM) is retried at a short fixed pace, so the result is
        // stored within ~250 ms of memory freeing instead of after the visibility timeout.
        const full = isOutOfMemory(err);
        if (!full && !isRedisUnavailable(err)) throw err;
        this.o.log.warn(
          { err, model: this.name, attempt },
          full ? 'Redis memory full; retrying' : 'Redis unavailable; retrying',
        );
        await sleep(full ? 250 : Math.min(100 * 2 ** Math.min(attempt, 5), 2000));
      }
    }
  }
}
