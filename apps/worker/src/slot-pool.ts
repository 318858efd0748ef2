// The compute slots of one executor, shared by every loop that feeds it (a version serves
// its model's stream and its own). A slot is held from the moment a batch is chosen until
// its inference is over, so each thread is counted once, whichever stream fed it.
// Not a queue of work: it only says who may start computing next, first come first served.

/** One holding of slots; releasing it twice releases once. */
export interface Lease {
  release(): void;
}

export class SlotPool {
  private held = 0;
  private readonly waiting: { count: number; grant: (lease: Lease) => void }[] = [];

  /** @param size the executor's `slots`: batches it computes at once */
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`slot pool size: expected an integer >= 1, got ${size}`);
  }

  /** Slots nobody holds. */
  get free(): number {
    return this.size - this.held;
  }

  /** Takers waiting for slots. */
  get waiters(): number {
    return this.waiting.length;
  }

  /** A slot now, or undefined when none is free or someone is already waiting for one. */
  tryTake(): Lease | undefined {
    if (this.waiting.length > 0 || this.free < 1) return undefined;
    return this.lease(1);
  }

  /** A slot, waiting in line behind earlier takers. */
  take(): Promise<Lease> {
    return this.enqueue(1);
  }

  /**
   * Every slot: waits until nothing computes and holds them all, so nothing else starts
   * until it is released. Later takers wait behind it.
   */
  takeAll(): Promise<Lease> {
    return this.enqueue(this.size);
  }

  private enqueue(count: number): Promise<Lease> {
    const now = this.waiting.length === 0 && this.free >= count ? this.lease(count) : undefined;
    if (now) return Promise.resolve(now);
    return new Promise((grant) => this.waiting.push({ count, grant }));
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
    while (this.waiting.length > 0 && this.free >= this.waiting[0]!.count) {
      const next = this.waiting.shift()!;
      next.grant(this.lease(next.count));
    }
  }
}
