// The batching policy of one stream, without Redis or onnxruntime: when to read and how
// much, when a batch starts, when it is topped up, which entries run alone, and what a
// stopping loop still finishes (see README, "Batching"). The decisions are the pure
// functions below; Scheduler runs them over a WorkSource and a Compute function, which
// model-loop.ts backs with the stream consumer and the executor. Tensors, outcomes and
// metrics are not its business.
import type { Lease, SlotPool } from './slot-pool.ts';

/** What the scheduler reads of an entry. */
export interface Work {
  /** When this worker read it, on the scheduler's clock. */
  readAt: number;
  /** 1 for a new entry; more when an earlier delivery never finished (see runAlone). */
  deliveries: number;
}

/** The stream as the scheduler uses it: StreamConsumer's methods of the same names. */
export interface WorkSource<W extends Work> {
  /** Up to `count` entries, highest priority first; waits up to `blockMs` for one (0: no wait). */
  read(count: number, blockMs: number): Promise<W[]>;
  /** Entries another consumer has held idle for `minIdleMs`, taken over. */
  reclaim(minIdleMs: number, count: number): Promise<W[]>;
  /** Entries already delivered by a read but not yet handed out. */
  takeSpare(count: number): W[];
  /** Marks entries running; resolves to those still to compute (not canceled, expired, poison). */
  start(entries: W[]): Promise<W[]>;
}

/**
 * Computes `batch` on the slot the scheduler holds for it, calls `computed` when inference
 * is over (the slot goes back then), and stores the outcomes of the entries `started`
 * resolves to — the others are computed for nothing. A rejection leaves the batch pending
 * for redelivery.
 */
export type Compute<W extends Work> = (batch: W[], started: Promise<W[]>, computed: () => void) => Promise<void>;

export interface Batching {
  /** Most entries in one batch (0: a model that does not batch still reads one). */
  maxBatchSize: number;
  /** How long a partly filled batch waits for more (Triton's max_queue_delay). 0: not at all. */
  maxQueueDelayMs: number;
}

export interface SchedulerOptions<W extends Work> {
  source: WorkSource<W>;
  compute: Compute<W>;
  /** The executor's slots, shared with every other scheduler feeding the same executor. */
  pool: SlotPool;
  /** Read for every batch: an updated assignment may change it while serving. */
  batching: () => Batching;
  /** Idle time after which another consumer's entry is taken over; read for every reclaim. */
  visibilityMs: () => number;
  /** Longest a blocking read waits; bounds how fast the loop notices a stop. @default 1000 */
  blockMs?: number;
  /** @default Date.now */
  now?: () => number;
  /** Pause after the n-th failure in a row of reading or starting. @default 100·2^n ms, at most 2 s */
  retryDelayMs?: (failures: number) => number;
  /** Told when reading or starting failed; the loop retries after retryDelayMs. */
  onReadError?: (err: unknown) => void;
  /** Told when a batch failed outside inference; its entries stay pending. */
  onBatchError?: (err: unknown) => void;
  /** Told when entries of a silent consumer were taken over. */
  onReclaimed?: (entries: W[]) => void;
  /** Told when finishing read-ahead entries at a stop failed; they stay pending. */
  onDrainError?: (err: unknown) => void;
}

/** Entries asked for per read: one full batch. */
export const readSize = (b: Batching): number => Math.max(1, b.maxBatchSize);

/**
 * How long a batch of `taken` entries, the first read at `firstReadAt`, still waits for more
 * at `now`: 0 to go now, else at least 1 ms.
 */
export function fillWaitMs(b: Batching, taken: number, firstReadAt: number, now: number): number {
  if (b.maxQueueDelayMs <= 0 || taken >= readSize(b)) return 0;
  const left = firstReadAt + b.maxQueueDelayMs - now;
  return left <= 0 ? 0 : Math.max(1, Math.round(left));
}

/**
 * New entries on a free slot compute while the round trip that marks them running is in
 * flight: none of them can be poison or another worker's, so the script only decides
 * whether each is still wanted. Anything else is marked running before it computes.
 */
export const computesWhileStarting = (entries: readonly Work[]): boolean => entries.every((e) => e.deliveries === 1);

/** Entries an earlier delivery did not finish run one at a time, alone (see Scheduler.runAlone). */
export const mustRunAlone = (entries: readonly Work[]): boolean => entries.some((e) => e.deliveries > 1);

/** Entries a batch that waited for a slot takes on top of the `taken` it read ahead. */
export const topUpCount = (b: Batching, taken: number): number => Math.max(0, readSize(b) - taken);

/**
 * A batch read full needs no top-up, so it may wait queued at the executor (SlotPool.takeAhead)
 * instead of here; a partial one waits here for a slot and takes what arrived meanwhile.
 */
export const queuesAhead = (b: Batching, taken: number): boolean => topUpCount(b, taken) === 0;

/** Silent consumers' entries are looked for every half visibility, between 100 ms and 5 s. */
export const reclaimEveryMs = (visibilityMs: number): number => Math.max(100, Math.min(visibilityMs / 2, 5000));

const defaultRetryDelay = (failures: number): number => Math.min(100 * 2 ** Math.min(failures, 5), 2000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Reads one stream into batches on a shared slot pool. The loop holds at most one batch it
 * read ahead: while every slot is busy it marks that batch running (the round trip overlaps
 * inference), waits for a slot, then tops it up with what arrived meanwhile. A batch read
 * full needs no top-up: it goes to the executor's queue instead, when it has one (ahead).
 */
export class Scheduler<W extends Work> {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private lastReclaim = 0;
  private readonly now: () => number;

  constructor(private readonly o: SchedulerOptions<W>) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    if (this.running) return;
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
        const entries = await this.next();
        failures = 0;
        if (entries.length === 0) continue;
        await this.fill(entries);
        await this.dispatch(entries);
      } catch (err) {
        failures++;
        this.o.onReadError?.(err);
        await sleep((this.o.retryDelayMs ?? defaultRetryDelay)(failures));
      }
    }
    await this.finishSpare();
  }

  /** A silent consumer's entry when one is due, else a batch's worth from the stream. */
  private async next(): Promise<W[]> {
    const visibility = this.o.visibilityMs();
    if (this.now() - this.lastReclaim >= reclaimEveryMs(visibility)) {
      this.lastReclaim = this.now();
      // One at a time, like a restart's own backlog (see runAlone); the next is due at once.
      const claimed = await this.o.source.reclaim(visibility, 1);
      if (claimed.length > 0) {
        this.lastReclaim = 0;
        this.o.onReclaimed?.(claimed);
        return claimed;
      }
    }
    return this.o.source.read(readSize(this.o.batching()), this.o.blockMs ?? 1000);
  }

  /** Waits up to max_queue_delay_ms (from the first entry's read) for a partly filled batch. */
  private async fill(entries: W[]): Promise<void> {
    for (;;) {
      const b = this.o.batching();
      const wait = this.running ? fillWaitMs(b, entries.length, entries[0]!.readAt, this.now()) : 0;
      if (wait === 0) return;
      entries.push(...(await this.o.source.read(readSize(b) - entries.length, wait)));
    }
  }

  private async dispatch(entries: W[]): Promise<void> {
    const free = computesWhileStarting(entries) ? this.o.pool.tryTake() : undefined;
    if (free) {
      this.track(entries, this.o.source.start(entries), free);
      return;
    }
    // Marked running now, while other batches may still compute: the round trip overlaps
    // inference instead of sitting between two batches.
    const runnable = await this.o.source.start(entries);
    if (mustRunAlone(runnable)) return this.runAlone(runnable);
    if (runnable.length === 0) return;
    let slot = this.o.pool.tryTake();
    if (!slot && queuesAhead(this.o.batching(), entries.length)) {
      // Full: handed to the executor now, to wait there behind the running batch, so the
      // thread goes on to it without waiting for this thread to assemble and send it.
      slot = await this.o.pool.takeAhead();
    } else if (!slot) {
      slot = await this.o.pool.take();
      // The batch waited for a slot; take what arrived meanwhile.
      const more = topUpCount(this.o.batching(), entries.length);
      try {
        if (more > 0) runnable.push(...(await this.o.source.start(await this.o.source.read(more, 0))));
      } catch (err) {
        slot.release();
        throw err;
      }
    }
    this.track(runnable, Promise.resolve(runnable), slot);
  }

  /**
   * Entries an earlier delivery did not finish (this worker's own from before a restart, or
   * a silent worker's) may be what killed that worker — a native crash, an out-of-memory
   * kill. Each runs alone: this loop's earlier batches are stored first, it holds every
   * slot of the executor (nothing of any stream computes beside it), and nothing more is
   * read until it is stored. If it kills this worker too, only it is delivered again, and
   * only it reaches ALTO_MAX_DELIVERIES and is dead-lettered; requests that shared its
   * batch succeed.
   */
  private async runAlone(entries: W[]): Promise<void> {
    for (const entry of entries) {
      await this.idle();
      const all = await this.o.pool.takeAll();
      try {
        await this.o.compute([entry], Promise.resolve([entry]), () => {});
      } catch (err) {
        this.o.onBatchError?.(err);
      } finally {
        all.release();
      }
    }
  }

  /**
   * Stopped reading: finishes what was read ahead but not yet handed out, instead of leaving
   * it pending until another worker's visibility timeout.
   */
  private async finishSpare(): Promise<void> {
    const count = () => readSize(this.o.batching());
    for (let spare = this.o.source.takeSpare(count()); spare.length > 0; spare = this.o.source.takeSpare(count())) {
      try {
        const runnable = await this.o.source.start(spare);
        if (mustRunAlone(runnable)) {
          await this.runAlone(runnable);
          continue;
        }
        if (runnable.length === 0) continue;
        this.track(runnable, Promise.resolve(runnable), await this.o.pool.take());
      } catch (err) {
        // Left pending: taken over after the visibility timeout, as after a crash.
        this.o.onDrainError?.(err);
        return;
      }
    }
  }

  /** Computes a batch on its slot in the background; drain() waits for it. */
  private track(batch: W[], started: Promise<W[]>, slot: Lease): void {
    // A rejected start is the compute's to see (it stores nothing then); not unhandled here.
    started.catch(() => undefined);
    let work: Promise<void>;
    try {
      work = this.o.compute(batch, started, () => slot.release());
    } catch (err) {
      work = Promise.reject(err);
    }
    // A batch that fails outside inference (e.g. a script error) stays pending in the
    // stream for redelivery; it must not take the loop down.
    const p = work.catch((err: unknown) => this.o.onBatchError?.(err)).finally(() => slot.release());
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }
}
