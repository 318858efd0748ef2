// Campaigns for the leader lease and, while it holds it, runs the reconciler. The lease is
// renewed every third of its time; a pass that finds the lease gone writes nothing (fenced).
import type { ControlStore } from '@alto/control';
import type { Logger } from '@alto/telemetry';
import type { PublisherMetrics } from './metrics.ts';
import type { Reconciler } from './reconcile.ts';

export interface LeadershipOptions {
  store: ControlStore;
  id: string;
  leaseMs: number;
  reconcileMs: number;
  reconciler: Reconciler;
  log: Logger;
  metrics?: PublisherMetrics;
}

export class Leadership {
  epoch = 0;
  private timers: NodeJS.Timeout[] = [];
  private passing: Promise<void> | undefined;

  constructor(private readonly o: LeadershipOptions) {}

  get leading(): boolean {
    return this.epoch > 0;
  }

  start(): void {
    void this.campaign();
    this.timers.push(setInterval(() => void this.campaign(), Math.max(100, Math.floor(this.o.leaseMs / 3))));
    this.timers.push(setInterval(() => void this.reconcile(), this.o.reconcileMs));
  }

  private async campaign(): Promise<void> {
    let epoch: number;
    try {
      epoch = await this.o.store.lease(this.o.id, this.o.leaseMs);
    } catch (err) {
      this.o.log.warn({ err }, 'lease renewal failed');
      return;
    }
    if (epoch > 0 && epoch !== this.epoch) {
      this.o.log.info({ epoch }, 'leading');
      this.epoch = epoch;
      this.o.metrics?.leader.set(1);
      void this.reconcile();
    } else if (epoch === 0 && this.epoch > 0) {
      this.o.log.warn({ epoch: this.epoch }, 'lost the leader lease; standing by');
      this.epoch = 0;
      this.o.metrics?.leader.set(0);
    }
  }

  private async reconcile(): Promise<void> {
    if (!this.leading || this.passing) return;
    const epoch = this.epoch;
    const started = performance.now();
    const took = (result: string) => this.o.metrics?.reconcile.observe({ result }, performance.now() - started);
    this.passing = this.o.reconciler
      .pass(this.o.id, epoch)
      .then((ok) => {
        took(ok ? 'ok' : 'lost_lease');
        if (!ok && this.epoch === epoch) {
          this.epoch = 0;
          this.o.metrics?.leader.set(0);
        }
      })
      .catch((err: unknown) => {
        took('error');
        this.o.log.warn({ err }, 'reconcile failed');
      })
      .finally(() => {
        this.passing = undefined;
      });
    await this.passing;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.passing;
    if (this.leading) await this.o.store.resign(this.o.id).catch(() => {});
    this.epoch = 0;
  }
}
