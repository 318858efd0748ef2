// What the console's charts draw: per model, a ring of samples over the last 15 minutes,
// and the bookkeeping that turns counters and finished predictions into rates and quantiles.
// Pure; sampler.ts reads Redis and feeds it.

export interface Sample {
  /** When taken, ms since the epoch. */
  t: number;
  /** Requests added to the model's streams per second since the previous sample (every gateway's). */
  arrivals: number;
  /** Requests the workers finished (acknowledged) per second since the previous sample. */
  completions: number;
  /** Predictions accepted by this gateway that ended failed or expired in the interval. */
  errors: number;
  /** Median and 99th percentile of created → completed, ms, of those that ended in the interval; null: none did. */
  p50: number | null;
  p99: number | null;
  /** Entries waiting or running, per priority. */
  depth: { high: number; normal: number; low: number };
  /** Workers with a live heartbeat for the model. */
  replicas: number;
}

/** A fixed-size ring: the newest `capacity` samples, oldest first. */
export class Ring<T> {
  private readonly items: T[] = [];
  constructor(private readonly capacity: number) {}
  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }
  list(): T[] {
    return [...this.items];
  }
  last(): T | undefined {
    return this.items[this.items.length - 1];
  }
}

/** The q-quantile (0..1) of `values` by nearest rank; null for none. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/**
 * The rate of a monotonic counter between two readings, per second. A counter that went back
 * (the stream was deleted and made again, on unpublish and publish) counts from zero.
 */
export function rate(before: number | undefined, after: number, seconds: number): number {
  if (before === undefined || seconds <= 0) return 0;
  const delta = after >= before ? after - before : after;
  return delta / seconds;
}

/** Ids of predictions one gateway accepted, per model: the newest for listing, the unfinished for the charts. */
export class Accepted {
  private readonly recent = new Map<string, string[]>();
  private readonly open = new Map<string, Set<string>>();
  constructor(
    private readonly keep = 100,
    private readonly track = 2000,
  ) {}

  add(model: string, id: string): void {
    const list = this.recent.get(model) ?? [];
    if (list[list.length - 1] !== id) list.push(id);
    if (list.length > this.keep) list.splice(0, list.length - this.keep);
    this.recent.set(model, list);
    const open = this.open.get(model) ?? new Set();
    // Past `track` unfinished ids the oldest is forgotten: its latency is then not counted.
    if (open.size >= this.track) open.delete(open.values().next().value!);
    open.add(id);
    this.open.set(model, open);
  }

  /** The newest ids, newest first. */
  newest(model: string, n: number): string[] {
    return (this.recent.get(model) ?? []).slice(-n).reverse();
  }

  unfinished(model: string): string[] {
    return [...(this.open.get(model) ?? [])];
  }

  finished(model: string, id: string): void {
    this.open.get(model)?.delete(id);
  }
}
