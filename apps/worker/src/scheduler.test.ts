// The batching policy, on a fake stream (priority queues read like one XREADGROUP, a spare
// list, a start round trip the test can hold) and a fake executor (batches compute until
// the test finishes them). No Redis, no onnxruntime: each test runs in milliseconds. The
// end-to-end suites in test/ prove the same policy over the real consumer and executor.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Scheduler,
  fillWaitMs,
  mustRunAlone,
  reclaimEveryMs,
  topUpCount,
  type Batching,
  type Work,
  type WorkSource,
} from './scheduler.ts';
import { SlotPool } from './slot-pool.ts';

const PRIORITIES = ['high', 'normal', 'low'] as const;
type Priority = (typeof PRIORITIES)[number];

interface Job extends Work {
  id: string;
  priority: Priority;
}

const ids = (jobs: readonly Job[]) => jobs.map((j) => j.id);

/** Polls a condition until it holds; fails naming what it waited for. */
async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Lets every callback already queued run (a scheduler parked on a slot stays parked). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

/** One stream per priority, read the way StreamConsumer reads them. */
class FakeStream implements WorkSource<Job> {
  readonly queued: Record<Priority, Job[]> = { high: [], normal: [], low: [] };
  spare: Job[] = [];
  /** Entries another consumer holds, for reclaim. */
  orphans: Job[] = [];
  readonly canceled = new Set<string>();
  readonly reads: { count: number; blockMs: number; got: string[] }[] = [];
  readonly reclaims: { minIdleMs: number; count: number }[] = [];
  readonly starts: string[][] = [];
  failReads = 0;
  private held: Promise<void> | undefined;
  private releaseStarts: (() => void) | undefined;
  private readonly wakers: (() => void)[] = [];

  constructor(private readonly now: () => number) {}

  push(priority: Priority, ...names: string[]): void {
    this.add(priority, 1, names);
  }

  /** Entries handed out before and never finished (a restart's backlog). */
  pushRedelivered(...names: string[]): void {
    this.add('normal', 2, names);
  }

  private add(priority: Priority, deliveries: number, names: string[]): void {
    for (const id of names) this.queued[priority].push({ id, priority, deliveries, readAt: 0 });
    for (const w of this.wakers.splice(0)) w();
  }

  get remaining(): number {
    return PRIORITIES.reduce((n, p) => n + this.queued[p].length, 0);
  }

  /** Start round trips wait until released. */
  holdStarts(): void {
    this.held = new Promise((r) => (this.releaseStarts = r));
  }

  releaseHeldStarts(): void {
    this.releaseStarts?.();
    this.held = undefined;
  }

  private take(from: readonly Priority[], count: number, into: Job[]): void {
    for (const p of from) {
      for (const job of this.queued[p].splice(0, count)) {
        job.readAt = this.now();
        into.push(job);
      }
    }
  }

  async read(count: number, blockMs: number): Promise<Job[]> {
    await Promise.resolve();
    if (this.failReads > 0) {
      this.failReads--;
      throw new Error('connection refused');
    }
    // Recorded as it is asked, so a test sees a read that is still waiting.
    const call = { count, blockMs, got: [] as string[] };
    this.reads.push(call);
    // As one XREADGROUP over the priority streams: COUNT per stream, surplus kept as spare.
    const got = this.spare.splice(0);
    this.take(
      PRIORITIES.filter((p) => !got.some((e) => e.priority === p)),
      count,
      got,
    );
    if (got.length === 0 && blockMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, blockMs);
        this.wakers.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.take(PRIORITIES, count, got);
    }
    got.sort((a, b) => PRIORITIES.indexOf(a.priority) - PRIORITIES.indexOf(b.priority));
    this.spare = got.splice(count);
    call.got = ids(got);
    return got;
  }

  async reclaim(minIdleMs: number, count: number): Promise<Job[]> {
    await Promise.resolve();
    this.reclaims.push({ minIdleMs, count });
    return this.orphans.splice(0, count);
  }

  takeSpare(count: number): Job[] {
    return this.spare.splice(0, count);
  }

  async start(entries: Job[]): Promise<Job[]> {
    this.starts.push(ids(entries));
    await (this.held ?? Promise.resolve());
    return entries.filter((e) => !this.canceled.has(e.id));
  }
}

/** Computes a batch until the test finishes it; records what ran beside what. */
class FakeExecutor {
  readonly batches: string[][] = [];
  /** How many other batches were computing when each batch started. */
  readonly besides: number[] = [];
  readonly stored: string[] = [];
  computing = 0;
  maxComputing = 0;
  auto = false;
  failNext = false;
  private readonly pending: (() => void)[] = [];

  readonly compute = async (batch: Job[], started: Promise<Job[]>, computed: () => void): Promise<void> => {
    this.batches.push(ids(batch));
    this.besides.push(this.computing);
    this.computing++;
    this.maxComputing = Math.max(this.maxComputing, this.computing);
    try {
      if (!this.auto) await new Promise<void>((r) => this.pending.push(r));
      if (this.failNext) {
        this.failNext = false;
        throw new Error('store script failed');
      }
    } finally {
      this.computing--;
    }
    computed();
    const run = new Set(await started);
    this.stored.push(...ids(batch.filter((e) => run.has(e))));
  };

  /** Finishes the oldest batch still computing. */
  finish(): void {
    const next = this.pending.shift();
    if (!next) throw new Error('no batch is computing');
    next();
  }

  finishAll(): void {
    this.auto = true;
    for (const r of this.pending.splice(0)) r();
  }
}

const running: { scheduler: Scheduler<Job>; stream: FakeStream; exec: FakeExecutor }[] = [];

afterEach(async () => {
  for (const { stream, exec } of running) {
    stream.releaseHeldStarts();
    exec.finishAll();
  }
  await Promise.all(running.splice(0).map((r) => r.scheduler.drain()));
});

interface Setup {
  slots?: number;
  /** Batches the executor queues beyond its slots (Executor.ahead). */
  ahead?: number;
  maxBatchSize?: number;
  maxQueueDelayMs?: number;
  /** Another loop's pool and executor, to share them. */
  pool?: SlotPool;
  exec?: FakeExecutor;
  clock?: { t: number };
}

function serve(o: Setup = {}) {
  const clock = o.clock ?? { t: 1_000_000 };
  const stream = new FakeStream(() => clock.t);
  const exec = o.exec ?? new FakeExecutor();
  const pool = o.pool ?? new SlotPool(o.slots ?? 1, o.ahead ?? 0);
  const batching: Batching = { maxBatchSize: o.maxBatchSize ?? 4, maxQueueDelayMs: o.maxQueueDelayMs ?? 0 };
  const errors = { read: [] as unknown[], batch: [] as unknown[], reclaimed: [] as string[] };
  const scheduler = new Scheduler<Job>({
    source: stream,
    compute: exec.compute,
    pool,
    batching: () => batching,
    visibilityMs: () => 30_000,
    blockMs: 20,
    now: () => clock.t,
    retryDelayMs: () => 1,
    onReadError: (err) => errors.read.push(err),
    onBatchError: (err) => errors.batch.push(err),
    onReclaimed: (entries) => errors.reclaimed.push(...ids(entries)),
  });
  running.push({ scheduler, stream, exec });
  scheduler.start();
  return { stream, exec, pool, scheduler, errors, clock, batching };
}

describe('batching decisions', () => {
  const b = (maxBatchSize: number, maxQueueDelayMs = 0): Batching => ({ maxBatchSize, maxQueueDelayMs });

  it('a partly filled batch waits what is left of max_queue_delay_ms, at least 1 ms, and never when full or unset', () => {
    expect(fillWaitMs(b(8, 0), 1, 1000, 1000)).toBe(0);
    expect(fillWaitMs(b(8, 50), 8, 1000, 1000)).toBe(0);
    expect(fillWaitMs(b(8, 50), 1, 1000, 1020)).toBe(30);
    expect(fillWaitMs(b(8, 50), 1, 1000, 1049.8)).toBe(1);
    expect(fillWaitMs(b(8, 50), 1, 1000, 1050)).toBe(0);
  });

  it('a read-ahead batch is topped up to one full batch', () => {
    expect(topUpCount(b(8), 3)).toBe(5);
    expect(topUpCount(b(8), 8)).toBe(0);
    // A model that does not batch still reads one entry at a time.
    expect(topUpCount(b(0), 0)).toBe(1);
  });

  it('silent consumers are looked for every half visibility, between 100 ms and 5 s', () => {
    expect(reclaimEveryMs(30_000)).toBe(5000);
    expect(reclaimEveryMs(2000)).toBe(1000);
    expect(reclaimEveryMs(50)).toBe(100);
  });

  it('an entry delivered before runs alone', () => {
    expect(
      mustRunAlone([
        { readAt: 0, deliveries: 1 },
        { readAt: 0, deliveries: 2 },
      ]),
    ).toBe(true);
    expect(mustRunAlone([{ readAt: 0, deliveries: 1 }])).toBe(false);
  });
});

describe('Scheduler', () => {
  it('a lone request on an idle worker computes at once, while its start round trip is in flight', async () => {
    const { stream, exec } = serve();
    stream.holdStarts();
    stream.push('normal', 'a');
    await until('a computes', () => exec.batches.length === 1);
    expect(exec.batches).toEqual([['a']]);
    expect(stream.starts).toEqual([['a']]);
    // One read, no wait for more.
    expect(stream.reads.filter((r) => r.got.length > 0)).toEqual([{ count: 4, blockMs: 20, got: ['a'] }]);
    exec.finish();
    await settle();
    expect(exec.stored).toEqual([]);
    stream.releaseHeldStarts();
    await until('a is stored', () => exec.stored.length === 1);
  });

  it('stores nothing for an entry the start round trip turned away while it computed', async () => {
    const { stream, exec } = serve();
    stream.canceled.add('a');
    stream.push('normal', 'a', 'b');
    await until('a and b compute', () => exec.batches.length === 1);
    exec.finish();
    await until('b is stored', () => exec.stored.length > 0);
    expect(exec.stored).toEqual(['b']);
  });

  it('under load, reads the next batch ahead, marks it running, and tops it up when a slot frees', async () => {
    const { stream, exec, pool } = serve({ maxBatchSize: 8 });
    stream.push('normal', 'a');
    await until('a computes', () => exec.batches.length === 1);
    stream.push('normal', 'b', 'c', 'd');
    await until('b, c, d wait for the slot', () => pool.waiters === 1);
    expect(stream.starts).toContainEqual(['b', 'c', 'd']);
    stream.push('normal', 'e', 'f', 'g', 'h', 'i', 'j');
    exec.finish();
    await until('the second batch computes', () => exec.batches.length === 2);
    expect(exec.batches[1]).toEqual(['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']);
    expect(stream.reads).toContainEqual({ count: 5, blockMs: 0, got: ['e', 'f', 'g', 'h', 'i'] });
    // j is the next batch read ahead.
    await until('j waits for the slot', () => pool.waiters === 1);
    expect(stream.starts.at(-1)).toEqual(['j']);
  });

  it('hands a full batch to an executor that queues ahead while its slot computes; a partial one waits', async () => {
    const { stream, exec, pool } = serve({ maxBatchSize: 2, ahead: 1 });
    stream.push('normal', 'a');
    await until('a computes', () => exec.batches.length === 1);
    stream.push('normal', 'b', 'c', 'd');
    await until('b, c are handed over behind a', () => exec.batches.length === 2);
    expect(exec.batches[1]).toEqual(['b', 'c']);
    expect(exec.besides[1]).toBe(1);
    // d alone is a partial batch: marked running, it waits for a slot to top up.
    await until('d waits for a slot', () => pool.waiters === 1);
    expect(stream.starts.at(-1)).toEqual(['d']);
    stream.push('normal', 'e');
    exec.finish();
    await settle();
    expect(exec.batches.length).toBe(2);
    exec.finish();
    await until('d computes, topped up', () => exec.batches.length === 3);
    expect(exec.batches[2]).toEqual(['d', 'e']);
  });

  it('holds at most one batch read ahead while every slot is busy', async () => {
    const { stream, exec, pool } = serve({ maxBatchSize: 2 });
    stream.push('normal', 'a');
    await until('a computes', () => exec.batches.length === 1);
    stream.push('normal', ...Array.from({ length: 10 }, (_, i) => `n${i}`));
    await until('a batch waits for the slot', () => pool.waiters === 1);
    await settle();
    expect(stream.remaining).toBe(8);
    expect(stream.starts.flat()).toEqual(['a', 'n0', 'n1']);
  });

  it('a high-priority request overtakes low requests still queued behind the read-ahead batch', async () => {
    const { stream, exec, pool } = serve({ maxBatchSize: 2 });
    stream.push('low', 'l1');
    await until('l1 computes', () => exec.batches.length === 1);
    stream.push('low', 'l2', 'l3', 'l4', 'l5', 'l6');
    await until('l2, l3 wait for the slot', () => pool.waiters === 1);
    stream.push('high', 'h');
    exec.finish();
    await until(
      'the read-ahead batch computes and the next waits',
      () => exec.batches.length === 2 && pool.waiters === 1,
    );
    exec.finish();
    await until('a third batch computes', () => exec.batches.length === 3);
    expect(exec.batches).toEqual([['l1'], ['l2', 'l3'], ['h', 'l4']]);
  });

  it('a high-priority request arriving while a partly filled batch waits joins it at the top-up', async () => {
    const { stream, exec, pool } = serve({ maxBatchSize: 4 });
    stream.push('low', 'l1');
    await until('l1 computes', () => exec.batches.length === 1);
    stream.push('low', 'l2');
    await until('l2 waits for the slot', () => pool.waiters === 1);
    stream.push('high', 'h');
    exec.finish();
    await until('the second batch computes', () => exec.batches.length === 2);
    expect(exec.batches[1]).toEqual(['l2', 'h']);
  });

  it('with max_queue_delay_ms, a partly filled batch waits for more and goes once full', async () => {
    const { stream, exec } = serve({ maxBatchSize: 3, maxQueueDelayMs: 60_000 });
    stream.push('normal', 'a');
    await until('the batch waits for more', () => stream.reads.some((r) => r.count === 2 && r.blockMs > 0));
    expect(exec.batches).toEqual([]);
    stream.push('normal', 'b', 'c');
    await until('the full batch computes', () => exec.batches.length === 1);
    expect(exec.batches).toEqual([['a', 'b', 'c']]);
  });

  it('with max_queue_delay_ms, a partly filled batch goes as it is once the delay has passed', async () => {
    const clock = { t: 1_000_000 };
    const { stream, exec } = serve({ maxBatchSize: 3, maxQueueDelayMs: 40, clock });
    stream.push('normal', 'a');
    await until('the batch waits up to 40 ms for more', () =>
      stream.reads.some((r) => r.count === 2 && r.blockMs === 40),
    );
    clock.t += 40;
    await until('a computes alone', () => exec.batches.length === 1);
    expect(exec.batches).toEqual([['a']]);
  });

  it("a redelivered entry runs alone: after this loop's batches, on every slot, before anything more is read", async () => {
    const { stream, exec, pool } = serve({ slots: 2 });
    stream.push('normal', 'a');
    await until('a computes', () => exec.batches.length === 1);
    stream.pushRedelivered('r');
    await until('r is marked running', () => stream.starts.some((s) => s.includes('r')));
    stream.push('normal', 'b');
    await settle();
    expect(exec.batches).toEqual([['a']]);
    exec.finish();
    await until('r computes', () => exec.batches.length === 2);
    expect(exec.batches[1]).toEqual(['r']);
    expect(exec.besides[1]).toBe(0);
    expect(pool.free).toBe(0);
    await settle();
    expect(stream.queued.normal.map((j) => j.id)).toEqual(['b']);
    exec.finish();
    await until('b computes after r is stored', () => exec.batches.length === 3);
    expect(exec.stored.slice(0, 2)).toEqual(['a', 'r']);
    expect(exec.batches[2]).toEqual(['b']);
  });

  it("takes over a silent consumer's entries one at a time, each alone, then reads the stream", async () => {
    const clock = { t: 1_000_000 };
    const { stream, exec, errors } = serve({ clock });
    exec.auto = true;
    // In place before the first reclaim round trip answers.
    stream.orphans.push(
      { id: 'o1', priority: 'normal', deliveries: 2, readAt: 0 },
      { id: 'o2', priority: 'normal', deliveries: 2, readAt: 0 },
    );
    stream.push('normal', 'a');
    await until('a is stored', () => exec.stored.includes('a'));
    expect(exec.batches).toEqual([['o1'], ['o2'], ['a']]);
    expect(exec.besides).toEqual([0, 0, 0]);
    expect(errors.reclaimed).toEqual(['o1', 'o2']);
    // After a take-over the next is looked for at once; after an empty one, half a visibility later.
    expect(stream.reclaims).toEqual([1, 2, 3].map(() => ({ minIdleMs: 30_000, count: 1 })));
    clock.t += 4999;
    await until('a read after the clock moved', () => stream.reads.length >= 3);
    expect(stream.reclaims).toHaveLength(3);
    clock.t += 1;
    await until('the next reclaim', () => stream.reclaims.length === 4);
  });

  it('two loops over one executor share its slots: one computes while the other reads ahead', async () => {
    const pool = new SlotPool(1);
    const exec = new FakeExecutor();
    const model = serve({ pool, exec });
    const version = serve({ pool, exec });
    model.stream.push('normal', 'a');
    await until('a computes', () => exec.batches.length === 1);
    version.stream.push('normal', 'v');
    await until('v waits for the slot', () => pool.waiters === 1);
    expect(version.stream.starts).toEqual([['v']]);
    expect(exec.batches).toEqual([['a']]);
    exec.finish();
    await until('v computes', () => exec.batches.length === 2);
    expect(exec.maxComputing).toBe(1);
  });

  it("a redelivered entry waits for the other loop's batch and holds it off while it computes", async () => {
    const pool = new SlotPool(2);
    const exec = new FakeExecutor();
    const model = serve({ pool, exec });
    const version = serve({ pool, exec });
    version.stream.push('normal', 'v1');
    await until('v1 computes', () => exec.batches.length === 1);
    model.stream.pushRedelivered('r');
    await until('r waits for every slot', () => pool.waiters === 1);
    version.stream.push('normal', 'v2');
    await until('v2 waits behind r', () => pool.waiters === 2);
    exec.finish();
    await until('r computes', () => exec.batches.length === 2);
    expect(exec.batches[1]).toEqual(['r']);
    await settle();
    expect(exec.batches.length).toBe(2);
    exec.finish();
    await until('v2 computes', () => exec.batches.length === 3);
    expect(exec.maxComputing).toBe(1);
  });

  it('drain finishes every entry taken — the read-ahead batch and the spare — and reads no more', async () => {
    const { stream, exec, pool, scheduler } = serve({ maxBatchSize: 2 });
    stream.push('low', 'l1');
    await until('l1 computes', () => exec.batches.length === 1);
    // One read over the priority streams takes h and two lows: one low is spare.
    stream.push('low', 'l2', 'l3', 'l4');
    stream.push('high', 'h');
    await until('h, l2 wait for the slot', () => pool.waiters === 1);
    expect(ids(stream.spare)).toEqual(['l3']);
    const drained = scheduler.drain();
    exec.finishAll();
    await drained;
    expect(exec.stored.sort()).toEqual(['h', 'l1', 'l2', 'l3']);
    expect(stream.spare).toEqual([]);
    expect(stream.queued.low.map((j) => j.id)).toEqual(['l4']);
    expect(pool.free).toBe(1);
  });

  it('keeps serving after reads fail', async () => {
    const { stream, exec, errors } = serve();
    exec.auto = true;
    stream.failReads = 3;
    stream.push('normal', 'a');
    await until('a is stored', () => exec.stored.includes('a'));
    expect(errors.read).toHaveLength(3);
  });

  it('a batch that fails outside inference gives its slot back and the loop goes on', async () => {
    const { stream, exec, pool, errors } = serve();
    exec.failNext = true;
    exec.auto = true;
    stream.push('normal', 'a');
    await until('the failure is reported', () => errors.batch.length === 1);
    stream.push('normal', 'b');
    await until('b is stored', () => exec.stored.includes('b'));
    expect(exec.stored).toEqual(['b']);
    expect(pool.free).toBe(1);
  });

  it('batch size follows an updated max_batch_size', async () => {
    const { stream, exec, batching } = serve({ maxBatchSize: 1 });
    exec.auto = true;
    batching.maxBatchSize = 3;
    stream.push('normal', 'a', 'b', 'c');
    await until('a batch computes', () => exec.batches.length > 0);
    expect(exec.batches[0]).toEqual(['a', 'b', 'c']);
  });
});
