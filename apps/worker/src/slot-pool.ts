// The compute slots of one executor, shared by every loop that feeds it (a version serves
// its model's stream and its own). A slot is held from the moment a batch is chosen until
// its inference is over, so each thread is counted once, whichever stream fed it.
// Not a queue of work: it only says who may start computing next, first come first served.
// An executor that queues batches behind running ones (Executor.ahead) lends that many more
// leases, to full batches only (takeAhead): they wait at the executor, not here.

/** One holding of slots; releasing it twice releases once. */
export interface Lease {
  release(): void;
}

export class SlotPool {
  private held = 0;
  private readonly waiting: { count: number; limit: number; grant: (lease: Lease) => void }[] = [];

  /**
   * @param size the executor's `slots`: batches it computes at once
   * @param ahead the executor's `ahead`: batches it holds queued beyond those. @default 0
   */
  constructor(
    readonly size: number,
    readonly ahead = 0,
  ) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`slot pool size: expected an integer >= 1, got ${size}`);
    if (!Number.isInteger(ahead) || ahead < 0)
      throw new RangeError(`slot pool ahead: expected an integer >= 0, got ${ahead}`);
  }

  /** Slots nobody holds (0 while batches wait queued at the executor). */
  get free(): number {
    return Math.max(0, this.size - this.held);
  }

  /** Takers waiting for slots. */
  get waiters(): number {
    return this.waiting.length;
  }

  /** A slot now, or undefined when none is free or someone is already waiting for one. */
  tryTake(): Lease | undefined {
    if (this.waiting.length > 0 || this.held + 1 > this.size) return undefined;
    return this.lease(1);
  }

  /** A slot, waiting in line behind earlier takers. */
  take(): Promise<Lease> {
    return this.enqueue(1, this.size);
  }

  /**
   * A slot or, while every slot computes, a place in the executor's queue behind them: for a
   * batch that is already full, so it loses nothing by being handed over before a thread is
   * free, and the thread starts it the moment the running batch ends. Same as take() when
   * the executor queues nothing.
   */
  takeAhead(): Promise<Lease> {
    return this.enqueue(1, this.size + this.ahead);
  }

  /**
   * Every slot: waits until nothing computes (or waits queued) and holds them all, so nothing
   * else starts until it is released. Later takers wait behind it.
   */
  takeAll(): Promise<Lease> {
    return this.enqueue(this.size, this.size);
  }

  private enqueue(count: number, limit: number): Promise<Lease> {
    if (this.waiting.length === 0 && this.held + count <= limit) return Promise.resolve(this.lease(count));
    return new Promise((grant) => this.waiting.push({ count, limit, grant }));
  }

  private lease(count: number): Lease {
    this.held += count;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.held -= count;
        this.grant();
      },
    };
  }

  private grant(): void {
    while (this.waiting.length > 0 && this.held + this.waiting[0]!.count <= this.waiting[0]!.limit) {
      const next = this.waiting.shift()!;
      next.grant(this.lease(next.count));
    }
  }
}
