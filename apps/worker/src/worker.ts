// A worker with a fixed set of models from ALTO_MODEL_REPOSITORY (no publisher): loads
// them, serves their streams, heartbeats, drains on stop. Publishes its own catalog entries.
// States: starting → running → draining → stopped, changed only in `setState`.
import type { ModelInfo } from '@alto/protocol';
import { RedisModelRegistry, assertNoEviction, connect, keys as makeKeys, type Keys } from '@alto/queue';
import { LocalStore, resolveModel, type CheckpointStore } from '@alto/repository';
import type { Logger } from '@alto/telemetry';
import type { Redis } from 'ioredis';
import type { WorkerEnv } from './env.ts';
import type { WorkerMetrics } from './metrics.ts';
import { ServedVersion } from './served.ts';

export type WorkerState = 'starting' | 'running' | 'draining' | 'stopped';

/** What main.ts and the HTTP surface need of a worker, static or managed. */
export interface WorkerProcess {
  readonly state: WorkerState;
  readonly models: ModelInfo[];
  start(): Promise<void>;
  stop(graceMs: number): Promise<boolean>;
}

export class AltoWorker implements WorkerProcess {
  state: WorkerState = 'starting';
  private redis: Redis | undefined;
  private registry: RedisModelRegistry | undefined;
  private readonly served: ServedVersion[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly keys: Keys;
  private readonly store: CheckpointStore;

  constructor(private readonly env: WorkerEnv & { ALTO_MODEL_REPOSITORY: string }, private readonly log: Logger, private readonly metrics: WorkerMetrics) {
    this.keys = makeKeys(env.ALTO_PREFIX);
    this.store = new LocalStore(env.ALTO_MODEL_REPOSITORY);
  }

  private setState(next: WorkerState): void {
    this.log.info({ from: this.state, to: next }, `worker ${next}`);
    this.state = next;
  }

  get models(): ModelInfo[] {
    return this.served.map((s) => s.info);
  }

  async start(): Promise<void> {
    const env = this.env;
    this.redis = await connect(env.REDIS_URL, { name: `alto-worker:${env.ALTO_WORKER_ID}` });
    await assertNoEviction(this.redis);
    this.registry = new RedisModelRegistry(this.redis, this.keys);
    const names = env.ALTO_MODELS ?? (await this.store.models());
    if (names.length === 0) throw new Error(`no models found in ${env.ALTO_MODEL_REPOSITORY}`);
    for (const name of names) await this.load(name);
    await this.beat();
    this.heartbeat = setInterval(() => {
      this.beat().catch((err: unknown) => this.log.warn({ err }, 'heartbeat failed'));
    }, env.ALTO_HEARTBEAT_MS);
    for (const s of this.served) await s.serve();
    this.setState('running');
  }

  private async load(name: string): Promise<void> {
    const resolved = await resolveModel(this.store, name);
    const started = performance.now();
    const ctx = { env: this.env, redis: this.redis!, keys: this.keys, log: this.log, metrics: this.metrics };
    const served = await ServedVersion.open(ctx, resolved);
    this.served.push(served);
    await this.registry!.put(served.info);
    this.log.info(
      { model: name, version: served.version, path: resolved.path, load_ms: Math.round(performance.now() - started), batching: served.info.batching },
      'model loaded',
    );
  }

  private async beat(): Promise<void> {
    const ttl = this.env.ALTO_HEARTBEAT_MS * 5;
    await Promise.all(this.served.map((s) => this.registry!.heartbeat(s.name, this.env.ALTO_WORKER_ID, ttl)));
  }

  /**
   * Stops reading new work, finishes and stores every batch already read, deregisters and
   * closes. Resolves true when it finished within `graceMs`.
   */
  async stop(graceMs: number): Promise<boolean> {
    if (this.state === 'stopped' || this.state === 'draining') return true;
    this.setState('draining');
    clearInterval(this.heartbeat);
    const drained = Promise.all(this.served.map((s) => s.drain())).then(() => true);
    const timer = new Promise<false>((r) => setTimeout(() => r(false), graceMs).unref());
    const inTime = await Promise.race([drained, timer]);
    if (!inTime) this.log.error({ grace_ms: graceMs }, 'drain did not finish in time; unfinished entries stay pending for redelivery');
    // Deregistering is a courtesy (heartbeats expire anyway): never let it hold the exit.
    const leave = Promise.all(this.served.map((s) => this.registry?.leave(s.name, this.env.ALTO_WORKER_ID).catch(() => {})));
    await Promise.race([leave, new Promise((r) => setTimeout(r, 1000).unref())]);
    await Promise.all(this.served.map((s) => s.close()));
    this.redis?.disconnect();
    this.setState('stopped');
    return inTime;
  }
}
