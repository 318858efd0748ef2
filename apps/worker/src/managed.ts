// The worker: follows an assignment (the publisher's, or a fixed one over a local repository),
// reports what it holds every heartbeat, and reconciles — fetch the checkpoint (through the
// cache), load, warm up, then read the model's streams; for a version no longer assigned,
// stop reading, drain and unload. States: starting → running → draining → stopped.
import { hostname } from 'node:os';
import { redisTlsOf } from '@alto/config';
import type { AssignedModel, Device, HeldModel, HeldState, WorkerReport } from '@alto/control';
import type { ModelInfo } from '@alto/protocol';
import { RedisModelRegistry, assertNoEviction, connect, keys as makeKeys, type Keys } from '@alto/queue';
import { CheckpointCache, CheckpointError, confineLocalFile, openSource } from '@alto/repository';
import type { Logger } from '@alto/telemetry';
import type { Redis } from 'ioredis';
import type { Assignments, WorkerModel } from './assignments.ts';
import { discoverDevices, mergeRuntimeDevices, runtimeEnv, type RuntimeDevices } from './devices.ts';
import type { WorkerEnv } from './env.ts';
import type { WorkerMetrics } from './metrics.ts';
import { ServedVersion } from './served.ts';
import type { WorkerProcess, WorkerState } from './worker.ts';
import { WorkerRuntimes } from './xla.ts';

/** Makes the worker's assignment source once Redis is connected. */
export type AssignmentsFactory = (deps: {
  redis: Redis;
  keys: Keys;
  registry: RedisModelRegistry;
  runtimes: WorkerRuntimes;
}) => Assignments;

interface Slot {
  assigned: WorkerModel;
  state: HeldState;
  progress?: { done: number; total: number };
  error?: string;
  served?: ServedVersion;
  /** The load in progress, or done. */
  loading?: Promise<void>;
}

const DOWNLOAD_ATTEMPTS = 3;

const slotKey = (m: { name: string; version: string }) => `${m.name}@${m.version}`;

export class ManagedWorker implements WorkerProcess {
  state: WorkerState = 'starting';
  private redis: Redis | undefined;
  private assignments: Assignments | undefined;
  private registry: RedisModelRegistry | undefined;
  private readonly slots = new Map<string, Slot>();
  private readonly keys: Keys;
  private readonly cache: CheckpointCache;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private again = false;
  private readonly startedAt = Date.now();
  /** Cache keys on disk, as reported; read again only when a download or eviction changed them. */
  private cached: string[] = [];
  /** What it runs replicas on, as reported: discovered at start, then merged with runtimes' own. */
  private devices: Device[] = [];
  /** The executors it has; an XLA model's runtime process is supervised here. */
  private readonly runtimes: WorkerRuntimes;

  constructor(
    private readonly env: WorkerEnv,
    private readonly log: Logger,
    private readonly metrics: WorkerMetrics,
    private readonly makeAssignments: AssignmentsFactory,
  ) {
    this.keys = makeKeys(env.ALTO_PREFIX);
    this.cache = new CheckpointCache(env.ALTO_CACHE_DIR);
    this.runtimes = new WorkerRuntimes(env, log, (reply) => this.addRuntimeDevices(reply));
  }

  private setState(next: WorkerState): void {
    this.log.info({ from: this.state, to: next }, `worker ${next}`);
    this.state = next;
  }

  get models(): ModelInfo[] {
    return [...this.slots.values()].flatMap((s) => (s.state === 'ready' && s.served ? [s.served.info] : []));
  }

  async start(): Promise<void> {
    const env = this.env;
    // Before any runtime or CUDA context starts: they read these once.
    Object.assign(process.env, runtimeEnv(env.ALTO_DEVICES));
    this.devices = await discoverDevices(env.ALTO_DEVICES, { warn: (message) => this.log.warn(message) });
    this.log.info({ devices: this.devices }, 'devices');
    if (!this.allowedRoots())
      this.log.warn('ALTO_ALLOWED_ROOTS is not set: local checkpoints are loaded wherever their links lead');
    this.redis = await connect(env.REDIS_URL, {
      name: `alto-worker:${env.ALTO_WORKER_ID}`,
      cluster: env.ALTO_REDIS_CLUSTER,
      tls: redisTlsOf(env),
    });
    await assertNoEviction(this.redis);
    this.registry = new RedisModelRegistry(this.redis, this.keys);
    const assignments = this.makeAssignments({
      redis: this.redis,
      keys: this.keys,
      registry: this.registry,
      runtimes: this.runtimes,
    });
    this.assignments = assignments;
    await assignments.open(() => this.sync());
    if (assignments.waitForModels) {
      await this.reconcile();
      const slots = [...this.slots.values()];
      await Promise.all(slots.map((s) => s.loading));
      const failed = slots.find((s) => s.state !== 'ready');
      if (failed)
        throw new Error(
          `model '${failed.assigned.name}' version ${failed.assigned.version}: ${failed.error ?? failed.state}`,
        );
    }
    this.setState('running');
    await this.readCached();
    await this.report();
    if (!assignments.waitForModels) this.sync();
    this.timer = setInterval(() => this.sync(), env.ALTO_HEARTBEAT_MS);
    if (!assignments.waitForModels) {
      this.log.info(
        { memory_bytes: env.ALTO_WORKER_MEMORY_BYTES, accelerator: env.ALTO_ACCELERATOR, tags: env.ALTO_WORKER_TAGS },
        'registered; waiting for assignments',
      );
    }
  }

  /** Devices an accelerator runtime found (the XLA runtime's `devices` reply) join the report. */
  addRuntimeDevices(reply: RuntimeDevices): void {
    this.devices = mergeRuntimeDevices(this.devices, reply);
  }

  /** Reconciles with the assignment and reports; runs one at a time, again if asked meanwhile. */
  private sync(): void {
    if (this.state !== 'running') return;
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = this.reconcile()
      .then(() => this.report())
      .catch((err: unknown) => this.log.warn({ err }, 'sync with the assignment failed'))
      .finally(() => {
        this.syncing = undefined;
        if (this.again) {
          this.again = false;
          this.sync();
        }
      });
  }

  private async reconcile(): Promise<void> {
    const wanted = new Map((await this.assignments!.current()).map((m) => [slotKey(m), m]));
    for (const [key, m] of wanted) {
      const slot = this.slots.get(key);
      if (!slot) {
        const fresh: Slot = { assigned: m, state: 'downloading' };
        this.slots.set(key, fresh);
        fresh.loading = this.load(fresh);
      } else if (slot.assigned.checkpoint.generation !== m.checkpoint.generation) {
        // The same version name with other bytes: replace it once the old one is gone.
        void this.unload(key, slot);
      } else {
        slot.assigned = m;
        if (slot.served) applyTunables(slot.served.info, m);
      }
    }
    for (const [key, slot] of this.slots)
      if (!wanted.has(key) && slot.state !== 'unloading') void this.unload(key, slot);
  }

  private async load(slot: Slot): Promise<void> {
    const m = slot.assigned;
    const log = this.log.child({ model: m.name, version: m.version });
    const started = performance.now();
    try {
      let lastLogged = 0;
      const path = await this.download(m, log, (done, total) => {
        slot.progress = { done, total };
        if (done === total || performance.now() - lastLogged > 2000) {
          lastLogged = performance.now();
          log.info({ done, total, uri: m.checkpoint.uri }, 'downloading checkpoint');
        }
      });
      if ((slot.state as HeldState) === 'unloading') return;
      slot.state = 'loading';
      await this.readCached();
      delete slot.progress;
      void this.report().catch(() => {});
      const resolved = {
        name: m.name,
        version: m.version,
        versions: m.versions ?? [m.version],
        path,
        config: m.config,
      };
      const served = await ServedVersion.open(
        {
          env: this.env,
          redis: this.redis!,
          keys: this.keys,
          log: this.log,
          metrics: this.metrics,
          runtimes: this.runtimes,
        },
        resolved,
        m.execution_provider,
      );
      slot.served = served;
      await served.warmUp();
      if ((slot.state as HeldState) === 'unloading') return;
      await served.serve();
      slot.state = 'ready';
      log.info(
        { load_ms: Math.round(performance.now() - started), path, batching: served.info.batching },
        'model ready',
      );
      await this.trimCache();
    } catch (err) {
      if ((slot.state as HeldState) === 'unloading') return;
      slot.state = 'failed';
      slot.error = (err as Error).message;
      log.error({ err, uri: m.checkpoint.uri }, 'model failed to load');
    }
    void this.report().catch(() => {});
  }

  /** Fetches through the cache, retrying errors that may pass (a broken transfer) twice. */
  private async download(
    m: AssignedModel,
    log: Logger,
    onProgress: (done: number, total: number) => void,
  ): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        const source = openSource(m.base_uri);
        const path = await this.cache.fetch(source, m.checkpoint, onProgress);
        // A local checkpoint is read in place: checked again here on what it resolves to now,
        // since a link below an allowed root can have been swapped since it was published.
        const roots = this.allowedRoots();
        if (source.directPath(m.checkpoint) === undefined || !roots) return path;
        // Its external data files too: onnxruntime opens them beside the model file.
        for (const f of m.checkpoint.external ?? []) await confineLocalFile(f.uri, roots);
        return await confineLocalFile(path, roots);
      } catch (err) {
        if (!(err instanceof CheckpointError) || !err.retryable || attempt >= DOWNLOAD_ATTEMPTS) throw err;
        log.warn({ err: err.message, attempt }, 'checkpoint download failed; retrying');
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      }
    }
  }

  /** Where local checkpoints may resolve to: ALTO_ALLOWED_ROOTS, else the fixed repository; unset: anywhere. */
  private allowedRoots(): readonly string[] | undefined {
    if (this.env.ALTO_ALLOWED_ROOTS.length > 0) return this.env.ALTO_ALLOWED_ROOTS;
    return this.env.ALTO_MODEL_REPOSITORY === undefined ? undefined : [this.env.ALTO_MODEL_REPOSITORY];
  }

  /** Keeps the cache under ALTO_CACHE_MAX_BYTES, never removing a checkpoint assigned here. */
  private async readCached(): Promise<void> {
    this.cached = await this.cache.list().catch(() => this.cached);
  }

  private async trimCache(): Promise<void> {
    const max = this.env.ALTO_CACHE_MAX_BYTES;
    if (max === 0) return;
    const keep = new Set([...this.slots.values()].map((s) => CheckpointCache.key(s.assigned.checkpoint)));
    const removed = await this.cache.evict(keep, max).catch((err: unknown) => {
      this.log.warn({ err }, 'trimming the checkpoint cache failed');
      return [];
    });
    if (removed.length > 0) {
      this.log.info({ removed, max_bytes: max }, 'removed least recently used checkpoints from the cache');
      await this.readCached();
    }
  }

  private async unload(key: string, slot: Slot): Promise<void> {
    slot.state = 'unloading';
    this.log.info(
      { model: slot.assigned.name, version: slot.assigned.version },
      'unassigned: draining, then unloading',
    );
    await slot.loading;
    if (slot.served) {
      await slot.served.drain();
      await slot.served.close();
    }
    if (this.slots.get(key) === slot) this.slots.delete(key);
    this.sync();
  }

  private held(): HeldModel[] {
    return [...this.slots.values()].map((s) => ({
      name: s.assigned.name,
      version: s.assigned.version,
      uri: s.assigned.checkpoint.uri,
      state: s.state,
      memory_bytes: s.assigned.memory_bytes,
      ...(s.assigned.device ? { device: s.assigned.device } : {}),
      ...(s.progress ? { progress: s.progress } : {}),
      ...(s.error ? { error: s.error } : {}),
      ...(s.state === 'ready' && s.served ? { info: s.served.info } : {}),
      ...(s.served?.compileMs ? { compile_ms: s.served.compileMs } : {}),
    }));
  }

  private async report(): Promise<void> {
    const env = this.env;
    const report: WorkerReport = {
      id: env.ALTO_WORKER_ID,
      host: hostname(),
      accelerator: env.ALTO_ACCELERATOR,
      memory_bytes: env.ALTO_WORKER_MEMORY_BYTES,
      devices: this.devices,
      execution_provider: env.ALTO_EXECUTION_PROVIDER,
      tags: env.ALTO_WORKER_TAGS,
      state: this.state,
      started_at: this.startedAt,
      seen: Date.now(),
      inflight: [...this.slots.values()].reduce((n, s) => n + (s.served?.inflight ?? 0), 0),
      cached: this.cached,
      models: this.held(),
      runtimes: this.runtimes.available(),
    };
    const ready = [...this.slots.values()].flatMap((s) => (s.state === 'ready' && s.served ? [s.served.info] : []));
    await this.assignments!.report(report, ready);
    const ttl = env.ALTO_HEARTBEAT_MS * 5;
    await Promise.all(
      [...new Set(ready.map((info) => info.name))].map((name) =>
        this.registry!.heartbeat(name, env.ALTO_WORKER_ID, ttl),
      ),
    );
  }

  async stop(graceMs: number): Promise<boolean> {
    if (this.state === 'stopped' || this.state === 'draining') return true;
    this.setState('draining');
    clearInterval(this.timer);
    await this.assignments?.stopListening();
    await this.syncing;
    const drained = Promise.all(
      [...this.slots.values()].map(async (s) => {
        await s.loading;
        await s.served?.drain();
      }),
    ).then(() => true);
    const timer = new Promise<false>((r) => setTimeout(() => r(false), graceMs).unref());
    const inTime = await Promise.race([drained, timer]);
    if (!inTime)
      this.log.error(
        { grace_ms: graceMs },
        'drain did not finish in time; unfinished entries stay pending for redelivery',
      );
    // Leaving at once lets the publisher move the models now rather than after the timeout.
    const leave = Promise.all([
      this.assignments?.withdraw(),
      ...[...this.slots.values()].map((s) => this.registry?.leave(s.assigned.name, this.env.ALTO_WORKER_ID)),
    ]).catch(() => {});
    await Promise.race([leave, new Promise((r) => setTimeout(r, 1000).unref())]);
    await Promise.all([...this.slots.values()].map((s) => s.served?.close()));
    await this.runtimes.close();
    this.redis?.disconnect();
    this.setState('stopped');
    return inTime;
  }
}

/** Batching and queue settings of an updated assignment take effect without a reload. */
function applyTunables(info: ModelInfo, m: AssignedModel): void {
  const c = m.config;
  if (c.max_batch_size !== undefined && (info.batching.max_batch_size > 0 || c.max_batch_size === 0))
    info.batching.max_batch_size = c.max_batch_size;
  if (c.max_queue_delay_ms !== undefined) info.batching.max_queue_delay_ms = c.max_queue_delay_ms;
  if (c.max_queue_length !== undefined) info.max_queue_length = c.max_queue_length;
  if (c.timeout_ms !== undefined) info.timeout_ms = c.timeout_ms;
}
