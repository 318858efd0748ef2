// Per-key usage as this worker settles predictions: alto_key_predictions_total{key,model,status}
// and alto_key_compute_seconds_total{key,model}, and the managed keys' durable totals in Redis
// (addKeyUsage, one pipeline per key after each batch). Only outcomes this worker stored count
// as predictions; compute counts whatever it computed. A failed write is logged, never retried:
// usage must not hold up results (docs/api-keys.md).
import { addKeyUsage, computeShare, type Entry, type Keys, type Outcome, type UsageDelta } from '@alto/queue';
import { rowsOf } from '@alto/runtime';
import type { Logger } from '@alto/telemetry';
import type { Redis } from 'ioredis';
import type { WorkerMetrics } from './metrics.ts';

/** A settled prediction's status as the usage counters name it. */
export type UsageStatus = 'succeeded' | 'failed' | 'expired';

export interface KeyUsageDeps {
  redis: Redis;
  keys: Keys;
  metrics: Pick<WorkerMetrics, 'keyPredictions' | 'keyCompute'>;
  log: Logger;
}

/**
 * What a stored batch adds per request: a prediction when its outcome was `stored`, and its
 * share of the batch's inference time (computeShare: by its rows among the rows of the run
 * that produced the outputs). A failed run charges nobody: its requests are retried in halves
 * (runIsolating), and the innocent ones would pay again for the culprit.
 */
export function batchUsage(
  model: string,
  entries: readonly Entry[],
  outcomes: readonly Outcome[],
  stored: ReadonlySet<Entry>,
): { delta: UsageDelta; status: UsageStatus | undefined }[] {
  return entries.map((e, i) => {
    const o = outcomes[i]!;
    // predictMs is the time of the run that produced the outputs, batchSize its rows.
    const seconds = o.kind === 'succeeded' ? computeShare(o.predictMs / 1000, rowsOf(e), o.batchSize) : 0;
    return {
      delta: { key: e.key, model, predictions: stored.has(e) ? 1 : 0, computeSeconds: seconds },
      status: stored.has(e) ? o.kind : undefined,
    };
  });
}

export class KeyUsageRecorder {
  /** Writes not awaited by their caller (settled()), for flush(). */
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly d: KeyUsageDeps) {}

  /**
   * Predictions settled without being computed (expired before they started, or poison:
   * failed). Not to be awaited on the way to compute: flush() waits for it.
   */
  settled(model: string, entries: readonly Entry[], status: UsageStatus): void {
    if (entries.length === 0) return;
    const write = this.record(
      entries.map((e) => ({ delta: { key: e.key, model, predictions: 1, computeSeconds: 0 }, status })),
    );
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  /** Waits for the writes settled() started. */
  async flush(): Promise<void> {
    await Promise.all(this.pending);
  }

  /** A computed batch: `stored` are the entries whose outcome complete() stored. */
  batch(model: string, entries: readonly Entry[], outcomes: readonly Outcome[], stored: ReadonlySet<Entry>) {
    return this.record(batchUsage(model, entries, outcomes, stored));
  }

  private async record(items: { delta: UsageDelta; status: UsageStatus | undefined }[]): Promise<void> {
    if (items.length === 0) return;
    const { metrics } = this.d;
    for (const { delta: u, status } of items) {
      if (status !== undefined) metrics.keyPredictions.inc({ key: u.key, model: u.model, status });
      if (u.computeSeconds > 0) metrics.keyCompute.inc({ key: u.key, model: u.model }, u.computeSeconds);
    }
    try {
      await addKeyUsage(
        this.d.redis,
        this.d.keys,
        items.map((i) => i.delta),
      );
    } catch (err) {
      this.d.log.warn({ err }, 'recording API key usage failed; these predictions are missing from it');
    }
  }
}
