// The slot pool: at most `size` holders, first come first served, and takeAll waits for
// every slot so that nothing computes beside its holder.
import { describe, expect, it } from 'vitest';
import { SlotPool } from './slot-pool.ts';

/** Settles every promise callback queued so far. */
const settle = () => new Promise((r) => setImmediate(r));

describe('SlotPool', () => {
  it('hands out at most size slots at once', async () => {
    const pool = new SlotPool(2);
    const a = pool.tryTake();
    const b = pool.tryTake();
    expect(a && b).toBeTruthy();
    expect(pool.tryTake()).toBeUndefined();
    let third = false;
    void pool.take().then(() => (third = true));
    await settle();
    expect(third).toBe(false);
    a!.release();
    await settle();
    expect(third).toBe(true);
    expect(pool.free).toBe(0);
  });

  it('releasing a lease twice frees one slot', () => {
    const pool = new SlotPool(2);
    const a = pool.tryTake()!;
    pool.tryTake();
    a.release();
    a.release();
    expect(pool.free).toBe(1);
  });

  it('serves waiters in order and lets no tryTake jump the line', async () => {
    const pool = new SlotPool(1);
    const first = pool.tryTake()!;
    const order: string[] = [];
    void pool.take().then((l) => {
      order.push('a');
      l.release();
    });
    void pool.take().then((l) => {
      order.push('b');
      l.release();
    });
    first.release();
    expect(pool.tryTake()).toBeUndefined();
    await settle();
    expect(order).toEqual(['a', 'b']);
    expect(pool.free).toBe(1);
  });

  it('takeAll waits until nothing is held, and holds off later takers until released', async () => {
    const pool = new SlotPool(3);
    const running = pool.tryTake()!;
    let alone: { release(): void } | undefined;
    void pool.takeAll().then((l) => (alone = l));
    let after = false;
    void pool.take().then(() => (after = true));
    await settle();
    expect(alone).toBeUndefined();
    expect(pool.tryTake()).toBeUndefined();
    running.release();
    await settle();
    expect(alone).toBeDefined();
    expect(pool.free).toBe(0);
    expect(after).toBe(false);
    alone!.release();
    await settle();
    expect(after).toBe(true);
  });

  it('takeAhead lends `ahead` leases beyond the slots; take and takeAll still wait for a slot', async () => {
    const pool = new SlotPool(1, 1);
    const running = pool.tryTake()!;
    const queued = await pool.takeAhead();
    expect(pool.free).toBe(0);
    let third = false;
    void pool.takeAhead().then(() => (third = true));
    let alone: { release(): void } | undefined;
    void pool.takeAll().then((l) => (alone = l));
    await settle();
    expect(third).toBe(false);
    // The running batch ends: the queued one runs, so the next queues behind it.
    running.release();
    await settle();
    expect(third).toBe(true);
    expect(alone).toBeUndefined();
    queued.release();
    await settle();
    expect(alone).toBeUndefined();
  });

  it('takeAhead is take when the executor queues nothing', async () => {
    const pool = new SlotPool(1);
    const running = pool.tryTake()!;
    let got = false;
    void pool.takeAhead().then(() => (got = true));
    await settle();
    expect(got).toBe(false);
    running.release();
    await settle();
    expect(got).toBe(true);
  });

  it('rejects a size below one', () => {
    expect(() => new SlotPool(0)).toThrow(/expected an integer >= 1, got 0/);
  });
});
