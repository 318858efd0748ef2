// Failed admin authentications, limited per source address: after `max` failures within
// `windowMs` the address is refused (even with a good token) until the window ends, so a
// token cannot be guessed at speed. Held in this publisher's memory: each publisher limits on
// its own, and a restart forgets.

export interface AuthLimitOptions {
  /** Failures allowed per address per window. @default 10 */
  max?: number;
  /** @default 60_000 */
  windowMs?: number;
  /** Addresses tracked at most; the oldest windows are dropped past it. @default 10_000 */
  maxAddresses?: number;
  now?: () => number;
}

export class AuthLimit {
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;

  constructor(o: AuthLimitOptions = {}) {
    this.max = o.max ?? 10;
    this.windowMs = o.windowMs ?? 60_000;
    this.maxAddresses = o.maxAddresses ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  /** Milliseconds until `address` may try again, or 0 when it may now. */
  blockedFor(address: string): number {
    const f = this.failures.get(address);
    if (!f) return 0;
    const left = f.since + this.windowMs - this.now();
    if (left <= 0) {
      this.failures.delete(address);
      return 0;
    }
    return f.count >= this.max ? left : 0;
  }

  fail(address: string): void {
    const now = this.now();
    const f = this.failures.get(address);
    if (f && now - f.since < this.windowMs) {
      f.count++;
      return;
    }
    this.failures.delete(address);
    this.failures.set(address, { count: 1, since: now });
    // Map order is insertion order: the first entries are the oldest windows.
    for (const key of this.failures.keys()) {
      if (this.failures.size <= this.maxAddresses) break;
      this.failures.delete(key);
    }
  }
}
