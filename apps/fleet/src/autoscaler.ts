// `npm start`'s worker autoscaler (ALTO_WORKERS_MIN / ALTO_WORKERS_MAX): polls the
// publisher's scaling signal (GET /v1/admin/scaling) and starts worker processes up to it, or
// stops the newest surplus ones with SIGTERM, which drains them. For one machine only; a
// deployment scales its workers with KEDA or a managed instance group on the same signal
// (docs/autoscaling.md). Every worker it starts is alike, so it follows the busiest pool.
import type { Proc } from '@alto/procs';
import type { PoolScaling, ScalingReport } from '@alto/control';
import type { Logger } from '@alto/telemetry';

/** Workers to run: the largest pool's desired count, within [min, max]. */
export function fleetTarget(
  report: { pools: readonly Pick<PoolScaling, 'desired_workers'>[] },
  min: number,
  max: number,
): number {
  const wanted = Math.max(0, ...report.pools.map((p) => p.desired_workers));
  return Math.min(max, Math.max(min, wanted));
}

export interface AutoscalerOptions {
  min: number;
  max: number;
  publisherUrl: string;
  token: string;
  /** Starts worker number `n` (1, 2, …; never reused). */
  spawn: (n: number) => Proc;
  log: Logger;
  /** @default 1000 */
  intervalMs?: number;
}

export class WorkerAutoscaler {
  /** Running workers, oldest first. */
  private readonly running: Proc[] = [];
  /** Workers told to stop, until they have exited. */
  private readonly retiring = new Set<Proc>();
  /** Every worker ever told to stop. */
  private readonly stopped = new WeakSet<Proc>();
  private next = 1;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: AutoscalerOptions) {}

  /** Whether `p` was stopped on purpose (its exit does not stop the fleet). */
  retired(p: Proc): boolean {
    return this.stopped.has(p);
  }

  /** Every worker process still alive, running or draining. */
  all(): Proc[] {
    return [...this.running, ...this.retiring];
  }

  /** Starts the minimum at once, then follows the signal. */
  start(): void {
    this.scaleTo(this.o.min, 'minimum');
    const tick = () => {
      void this.tick().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.o.intervalMs ?? 1000);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    try {
      const res = await fetch(`${this.o.publisherUrl}/v1/admin/scaling`, {
        headers: { authorization: `Bearer ${this.o.token}` },
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) throw new Error(`GET /v1/admin/scaling answered ${res.status}`);
      const report = (await res.json()) as ScalingReport;
      if (this.timer) this.scaleTo(fleetTarget(report, this.o.min, this.o.max), 'signal', report);
    } catch (err) {
      // The publisher is restarting or busy: keep what runs.
      this.o.log.debug({ err }, 'reading the scaling signal failed');
    }
  }

  private scaleTo(target: number, why: string, report?: ScalingReport): void {
    const before = this.running.length;
    if (target === before) return;
    while (this.running.length < target) this.running.push(this.o.spawn(this.next++));
    while (this.running.length > target) {
      const p = this.running.pop()!;
      this.retiring.add(p);
      this.stopped.add(p);
      // SIGTERM drains: the worker finishes what it holds, then leaves.
      void p.stop(60_000).finally(() => this.retiring.delete(p));
    }
    const pools = report?.pools.map((p) => ({ pool: p.pool, desired: p.desired_workers, backlog: p.backlog }));
    this.o.log.info({ from: before, to: target, why, pools }, 'scaling workers');
  }
}
