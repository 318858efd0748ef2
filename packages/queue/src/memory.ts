// Admission by Redis memory: a cached reading of `INFO memory` that tells the gateway to refuse
// new work (503 `storage_full`) before Redis itself refuses writes, so completions and
// acknowledgements keep the headroom between the high-water mark and `maxmemory`. Not an
// eviction policy: Alto needs `noeviction`, and memory frees only as retention expires records.
import { AltoError } from '@alto/protocol';
import { type Cluster, type Redis, ReplyError } from 'ioredis';
import { isCluster } from './connection.ts';

export interface MemoryReading {
  usedBytes: number;
  /** 0 when Redis has no maxmemory: then nothing is ever refused for memory. */
  maxBytes: number;
  /** usedBytes / maxBytes of the fullest node read; 0 without maxmemory. */
  fraction: number;
}

export interface MemoryGaugeOptions {
  /**
   * Fraction of `maxmemory` past which new work is refused. @default 0.9
   */
  highWater?: number;
  /** How long a reading is reused. @default 250 */
  cacheMs?: number;
}

/** `-OOM command not allowed when used memory > 'maxmemory'`: the write did not run. */
export const isOutOfMemory = (err: unknown): boolean =>
  err instanceof ReplyError && /\bOOM command not allowed\b/.test((err as Error).message);

/** The error new work is refused with, for a full Redis or one past the high-water mark. */
export const storageFull = (detail: string): AltoError =>
  new AltoError('storage_full', `Redis memory is full (${detail}); retry later, as retention frees it`, true);

/** Parses `INFO memory`'s used_memory and maxmemory. */
export function parseMemoryInfo(info: string): { usedBytes: number; maxBytes: number } {
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return { usedBytes: field('used_memory'), maxBytes: field('maxmemory') };
}

/**
 * Reads Redis's memory at most once per `cacheMs`, off the request's path: a request sees the
 * last reading and at most triggers the next one. In cluster mode every master is read and the
 * fullest one decides, as a model's slot may live on any of them (kept simple on purpose).
 */
export class MemoryGauge {
  readonly highWater: number;
  private readonly cacheMs: number;
  private reading: MemoryReading = { usedBytes: 0, maxBytes: 0, fraction: 0 };
  private readAt = 0;
  private inFlight: Promise<MemoryReading> | undefined;

  constructor(
    private readonly redis: Redis,
    options: MemoryGaugeOptions = {},
  ) {
    this.highWater = options.highWater ?? 0.9;
    this.cacheMs = options.cacheMs ?? 250;
  }

  /**
   * The latest reading. Older than cacheMs, it is refreshed in the background and returned as
   * is, so a request never waits on INFO; only without a recent reading (the first, or after
   * failures for 4 × cacheMs, e.g. while Redis is down) does the caller wait for the next one.
   */
  async read(): Promise<MemoryReading> {
    const age = Date.now() - this.readAt;
    if (age < this.cacheMs) return this.reading;
    const next = (this.inFlight ??= this.refresh().finally(() => (this.inFlight = undefined)));
    if (this.readAt > 0 && age < this.cacheMs * 4) {
      next.catch(() => undefined);
      return this.reading;
    }
    return next;
  }

  /** Throws `storage_full` when the last reading is past the high-water mark. */
  async admit(): Promise<void> {
    const r = await this.read();
    if (r.maxBytes > 0 && r.fraction >= this.highWater) {
      throw storageFull(
        `${r.usedBytes} of ${r.maxBytes} bytes used, past the high-water mark of ${Math.round(this.highWater * 100)}%`,
      );
    }
  }

  private async refresh(): Promise<MemoryReading> {
    const nodes = isCluster(this.redis) ? (this.redis as unknown as Cluster).nodes('master') : [this.redis];
    const readings = await Promise.all(nodes.map(async (n) => parseMemoryInfo(await n.info('memory'))));
    let fullest: MemoryReading = { usedBytes: 0, maxBytes: 0, fraction: 0 };
    for (const { usedBytes, maxBytes } of readings) {
      const fraction = maxBytes > 0 ? usedBytes / maxBytes : 0;
      if (fraction >= fullest.fraction) fullest = { usedBytes, maxBytes, fraction };
    }
    this.reading = fullest;
    this.readAt = Date.now();
    return fullest;
  }
}
