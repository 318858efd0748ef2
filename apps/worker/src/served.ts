// One loaded model version: its executor and the loops that read its streams — the model's
// stream (unpinned requests) and the version's own (requests that pin it). Both loops share
// one slot pool, so the executor's threads are counted once.
import { DATATYPE_INFO, type ModelInfo } from '@alto/protocol';
import { StreamConsumer, connectLike, type Keys } from '@alto/queue';
import { dirname } from 'node:path';
import { openPipeline } from './pipeline.ts';
import { formatOf, type ResolvedModel } from '@alto/repository';
import { OnnxExecutor, SimExecutor, XlaExecutor, type Executor, type RawTensor } from '@alto/runtime';
import type { Logger } from '@alto/telemetry';
import type { Redis } from 'ioredis';
import type { WorkerEnv } from './env.ts';
import type { WorkerMetrics } from './metrics.ts';
import { buildModelInfo } from './model-info.ts';
import { crashOn } from './failpoint.ts';
import { KeyUsageRecorder } from './key-usage.ts';
import { ModelLoop } from './model-loop.ts';
import { payloadsOf } from './payloads.ts';
import { SlotPool } from './slot-pool.ts';
import type { WorkerRuntimes } from './xla.ts';

export interface ServeContext {
  env: WorkerEnv;
  redis: Redis;
  keys: Keys;
  log: Logger;
  metrics: WorkerMetrics;
  runtimes: WorkerRuntimes;
}

export class ServedVersion {
  private readonly loops: ModelLoop[] = [];
  private readonly connections: Redis[] = [];
  private readonly slots: SlotPool;

  private constructor(
    readonly info: ModelInfo,
    private readonly executor: Executor,
    private readonly ctx: ServeContext,
    /** XLA models: compile time of each batch bucket at load, in ms. */
    readonly compileMs?: Record<string, number>,
  ) {
    this.slots = new SlotPool(executor.slots, executor.ahead ?? 0);
  }

  /**
   * Opens the executor the checkpoint's format names (model.onnx: onnxruntime threads;
   * model.jax: the worker's XLA runtime, every bucket compiled) and builds the metadata;
   * nothing is read from Redis yet.
   */
  static async open(ctx: ServeContext, resolved: ResolvedModel, executionProvider?: string): Promise<ServedVersion> {
    const format = formatOf(resolved.path);
    const declared = resolved.config.format;
    if (declared && declared !== format)
      throw new Error(
        `model '${resolved.name}': config.json says format '${declared}', but the checkpoint is ${resolved.path} (${format})`,
      );
    if (resolved.config.pipeline && format !== 'onnx')
      throw new Error(`model '${resolved.name}': config.json's pipeline needs an ONNX checkpoint, got ${format}`);
    if (format === 'sim') return ServedVersion.openSim(ctx, resolved);
    return format === 'xla'
      ? ServedVersion.openXla(ctx, resolved)
      : ServedVersion.openOnnx(ctx, resolved, executionProvider);
  }

  /** model.sim: the simulated accelerator (tests and benchmarks), `instances` batches at once. */
  private static async openSim(ctx: ServeContext, resolved: ResolvedModel): Promise<ServedVersion> {
    const executor = await SimExecutor.create({ model: resolved.path, slots: resolved.config.instances ?? 1 });
    return new ServedVersion(buildModelInfo(resolved, executor.inputs, executor.outputs, 'sim'), executor, ctx);
  }

  private static async openXla(ctx: ServeContext, resolved: ResolvedModel): Promise<ServedVersion> {
    const { log } = ctx;
    const executor = await XlaExecutor.create({
      runtime: ctx.runtimes.xla(),
      model: resolved.name,
      version: resolved.version,
      dir: dirname(resolved.path),
      ...(resolved.config.buckets ? { buckets: resolved.config.buckets } : {}),
      // The merged config, since a downloaded copy has no config.json beside its folder.
      config: {
        ...(resolved.config.inputs ? { inputs: resolved.config.inputs } : {}),
        ...(resolved.config.outputs ? { outputs: resolved.config.outputs } : {}),
      },
      slots: resolved.config.instances ?? 1,
      onRuntimeDeath: (err) =>
        log.error({ err, model: resolved.name }, 'XLA runtime died under a batch; running it again once restarted'),
    });
    const { buckets, compile_ms, weights, memory_bytes } = executor.meta;
    log.info(
      { model: resolved.name, version: resolved.version, buckets, compile_ms, weights, memory_bytes },
      'XLA model compiled',
    );
    try {
      const info = buildModelInfo(resolved, executor.inputs, executor.outputs, 'xla');
      return new ServedVersion(info, executor, ctx, compile_ms);
    } catch (err) {
      await executor.close();
      throw err;
    }
  }

  private static async openOnnx(
    ctx: ServeContext,
    resolved: ResolvedModel,
    executionProvider?: string,
  ): Promise<ServedVersion> {
    const { env, log } = ctx;
    const instances = resolved.config.instances ?? 1;
    const network = await OnnxExecutor.create({
      path: resolved.path,
      instances,
      session: {
        executionProviders: [executionProvider ?? env.ALTO_EXECUTION_PROVIDER],
        ...(env.ALTO_INTRA_OP_THREADS > 0 ? { intraOpNumThreads: env.ALTO_INTRA_OP_THREADS } : {}),
        intraOpSpinning: env.ALTO_INTRA_OP_SPINNING,
      },
      onThreadDeath: (err) => log.error({ err, model: resolved.name }, 'inference thread died; replacing it'),
    });
    try {
      const executor = resolved.config.pipeline ? await openPipeline(resolved, network) : network;
      return new ServedVersion(buildModelInfo(resolved, executor.inputs, executor.outputs), executor, ctx);
    } catch (err) {
      await network.close();
      throw err;
    }
  }

  get name(): string {
    return this.info.name;
  }

  get version(): string {
    return this.info.version;
  }

  get inflight(): number {
    return this.executor.busyCount;
  }

  /**
   * One inference on zeros (dynamic dims as 1), so the first request does not pay for it.
   * (An XLA model's load already ran every bucket once.)
   */
  async warmUp(): Promise<void> {
    if (this.info.platform === 'xla') return;
    const feeds: Record<string, RawTensor> = {};
    for (const spec of this.info.inputs) {
      const dims = spec.shape.map((d) => (d === -1 ? 1 : d));
      const t = DATATYPE_INFO[spec.datatype];
      // A BYTES element of zero length is its 4-byte length prefix.
      const size = spec.datatype === 'BYTES' ? 4 : t.size;
      feeds[spec.name] = { type: t.ort, dims, data: new ArrayBuffer(dims.reduce((a, b) => a * b, 1) * size) };
    }
    await this.executor.run(feeds);
  }

  /** Starts reading the model's streams and the version's own (requests that pin it). */
  async serve(): Promise<void> {
    const { env, keys, log, metrics } = this.ctx;
    for (const version of [undefined, this.version]) {
      const blocking = await connectLike(this.ctx.redis, { name: `alto-worker:${env.ALTO_WORKER_ID}:${this.name}` });
      this.connections.push(blocking);
      const consumer = new StreamConsumer(blocking, this.ctx.redis, keys, {
        model: this.name,
        ...(version === undefined ? {} : { version }),
        consumer: env.ALTO_WORKER_ID,
        retentionMs: env.ALTO_RETENTION_SECONDS * 1000,
        maxDeliveries: env.ALTO_MAX_DELIVERIES,
        lowFirstEvery: env.ALTO_PRIORITY_LOW_EVERY,
        waitReplicas: env.ALTO_REDIS_WAIT_REPLICAS,
        waitTimeoutMs: env.ALTO_REDIS_WAIT_TIMEOUT_MS,
      });
      await consumer.ensureGroup();
      const loop = new ModelLoop({
        info: this.info,
        executor: this.executor,
        slots: this.slots,
        consumer,
        workerId: env.ALTO_WORKER_ID,
        visibilityMs: env.ALTO_VISIBILITY_TIMEOUT_MS,
        log: log.child({ model: this.name, version: this.version }),
        metrics,
        failpoint: crashOn(env.ALTO_FAILPOINT_CRASH_ON),
        usage: new KeyUsageRecorder({ redis: this.ctx.redis, keys, metrics, log }),
        payloads: payloadsOf(env),
      });
      loop.start();
      this.loops.push(loop);
    }
  }

  /** Stops reading and finishes every batch already read. */
  async drain(): Promise<void> {
    await Promise.all(this.loops.map((l) => l.drain()));
  }

  async close(): Promise<void> {
    await this.executor.close();
    for (const c of this.connections) c.disconnect();
  }
}
