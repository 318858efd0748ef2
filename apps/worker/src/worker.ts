// What main.ts and the HTTP surface need of a worker, and the states it moves through.
// The worker itself is in managed.ts; where its assignment comes from, in assignments.ts.
import type { ModelInfo } from '@alto/protocol';

export type WorkerState = 'starting' | 'running' | 'draining' | 'stopped';

export interface WorkerProcess {
  readonly state: WorkerState;
  readonly models: ModelInfo[];
  start(): Promise<void>;
  stop(graceMs: number): Promise<boolean>;
}
