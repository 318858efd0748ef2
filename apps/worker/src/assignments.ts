// Where a worker's assignment comes from and where it reports what it holds. A managed worker
// follows the publisher's assignment in Redis; a worker serving a repository on its own
// (ALTO_MODEL_REPOSITORY) follows a fixed one made from that directory (local-assignments.ts).
import { ControlStore, type AssignedModel, type WorkerReport } from '@alto/control';
import type { ModelInfo } from '@alto/protocol';
import { connectLike, type Keys } from '@alto/queue';
import type { Redis } from 'ioredis';

/** One model version to hold. */
export interface WorkerModel extends AssignedModel {
  /** Versions its catalog entry lists. @default [version] */
  versions?: string[];
}

export interface Assignments {
  /**
   * Whether the worker starts only once every assigned version is ready, failing to start if
   * one cannot load; else it starts at once and reports failures.
   */
  readonly waitForModels: boolean;
  /** Starts listening: `changed` is called whenever the assignment may have changed. */
  open(changed: () => void): Promise<void>;
  /** The versions to hold now. */
  current(): Promise<WorkerModel[]>;
  /** Tells the assigner what the worker holds (every heartbeat, and after each change). */
  report(report: WorkerReport, ready: readonly ModelInfo[]): Promise<void>;
  /** Stops listening for changes (the worker is stopping). */
  stopListening(): Promise<void>;
  /** Withdraws the worker's report once it has drained (a clean stop). */
  withdraw(): Promise<void>;
}

/** The publisher's assignment: read from Redis, announced on the assign channel. */
export class PublisherAssignments implements Assignments {
  readonly waitForModels = false;
  private readonly control: ControlStore;
  private subscriber: Redis | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly workerId: string,
  ) {
    this.control = new ControlStore(redis, keys);
  }

  async open(changed: () => void): Promise<void> {
    this.subscriber = await connectLike(this.redis, { name: `alto-worker:${this.workerId}:assign` });
    this.subscriber.on('message', (_channel: string, id: string) => {
      if (id === this.workerId || id === '*') changed();
    });
    await this.subscriber.subscribe(this.control.keys.assignChannel);
  }

  async current(): Promise<WorkerModel[]> {
    return (await this.control.assignment(this.workerId))?.models ?? [];
  }

  async report(report: WorkerReport): Promise<void> {
    await this.control.putReport(report);
  }

  async stopListening(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  async withdraw(): Promise<void> {
    // Leaving at once lets the publisher move the models now rather than after the timeout.
    await this.control.deleteReport(this.workerId);
  }
}
