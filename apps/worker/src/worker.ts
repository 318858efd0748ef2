// A worker process: loads its models, serves their streams, heartbeats, drains on stop.
// States: starting → running → draining → stopped, changed only in `setState`.
import type { ModelInfo } from '@alto/protocol';
import { RedisModelRegistry, StreamConsumer, assertNoEviction, connect, keys as makeKeys, type Keys } from '@alto/queue';
import { LocalStore, resolveModel, type CheckpointStore } from '@alto/repository';
import { Executor } from '@alto/runtime';
import type { Logger } from '@alto/telemetry';
import type { Redis } from 'ioredis';
import type { WorkerEnv } from './env.ts';
import type { WorkerMetrics } from './metrics.ts';
import { buildModelInfo } from './model-info.ts';
import { ModelLoop } from './model-loop.ts';

export type WorkerState = 'starting' | 'running' | 'draining' | 'stopped';

interface Served {
  info: ModelInfo;
  executor: Executor;
  loop: ModelLoop;
  blocking: Redis;
}

export class AltoWorker {
  state: WorkerState = 'starting';
  private redis: Redis | undefined;
  private registry: RedisModelRegistry | undefined;
  private readonly served: Served[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly keys: Keys;
  private readonly store: CheckpointStore;

  constructor(private readonly env: WorkerEnv, private readonly log: Logger, private readonly metrics: WorkerMetrics) {
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
    for (const s of this.served) s.loop.start();
    this.setState('running');
  }

  private async load(name: string): Promise<void> {
    const env = this.env;
    const resolved = await resolveModel(this.store, name);
    const instances = resolved.config.instances ?? 1;
    const started = performance.now();
    const executor = await Executor.create({
      path: resolved.path,
      instances,
      session: {
        executionProviders: [env.ALTO_EXECUTION_PROVIDER],
        ...(env.ALTO_INTRA_OP_THREADS > 0 ? { intraOpNumThreads: env.ALTO_INTRA_OP_THREADS } : {}),
      },
      onThreadDeath: (err) => this.log.error({ err, model: name }, 'inference thread died; replacing it'),
    });
    const info = buildModelInfo(resolved, executor.inputs, executor.outputs);
    const blocking = await connect(env.REDIS_URL, { name: `alto-worker:${env.ALTO_WORKER_ID}:${name}` });
    const consumer = new StreamConsumer(blocking, this.redis!, this.keys, {
      model: name,
      consumer: env.ALTO_WORKER_ID,
      retentionMs: env.ALTO_RETENTION_SECONDS * 1000,
      maxDeliveries: env.ALTO_MAX_DELIVERIES,
    });
    await consumer.ensureGroup();
    await this.registry!.put(info);
    const loop = new ModelLoop({
      info, executor, consumer, instances, workerId: env.ALTO_WORKER_ID, visibilityMs: env.ALTO_VISIBILITY_TIMEOUT_MS,
      log: this.log.child({ model: name }), metrics: this.metrics,
    });
    this.served.push({ info, executor, loop, blocking });
    this.log.info(
      { model: name, version: info.version, path: resolved.path, load_ms: Math.round(performance.now() - started), batching: info.batching },
      'model loaded',
    );
  }

  private async beat(): Promise<void> {
    const ttl = this.env.ALTO_HEARTBEAT_MS * 5;
    await Promise.all(this.served.map((s) => this.registry!.heartbeat(s.info.name, this.env.ALTO_WORKER_ID, ttl)));
  }

  /**
   * Stops reading new work, finishes and stores every batch already read, deregisters and
   * closes. Resolves true when it finished within `graceMs`.
   */
  async stop(graceMs: number): Promise<boolean> {
    if (this.state === 'stopped' || this.state === 'draining') return true;
    this.setState('draining');
    clearInterval(this.heartbeat);
    const drained = Promise.all(this.served.map((s) => s.loop.drain())).then(() => true);
    const timer = new Promise<false>((r) => setTimeout(() => r(false), graceMs).unref());
    const inTime = await Promise.race([drained, timer]);
    if (!inTime) this.log.error({ grace_ms: graceMs }, 'drain did not finish in time; unfinished entries stay pending for redelivery');
    // Deregistering is a courtesy (heartbeats expire anyway): never let it hold the exit.
    const leave = Promise.all(this.served.map((s) => this.registry?.leave(s.info.name, this.env.ALTO_WORKER_ID).catch(() => {})));
    await Promise.race([leave, new Promise((r) => setTimeout(r, 1000).unref())]);
    await Promise.all(this.served.map((s) => s.executor.close()));
    for (const s of this.served) s.blocking.disconnect();
    this.redis?.disconnect();
    this.setState('stopped');
    return inTime;
  }
}
