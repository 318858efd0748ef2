// The model catalog as gateways see it. The leader publisher writes it from what workers
// report (metadata from the ONNX session); a worker serving a fixed repository without a
// publisher writes its own entries. Workers heartbeat per model.
import { ModelInfoSchema, type ModelInfo } from '@alto/protocol';
import type { Redis } from 'ioredis';
import { modelStreams, type Keys } from './keys.ts';

export interface ModelRegistry {
  list(): Promise<ModelInfo[]>;
  get(name: string): Promise<ModelInfo | undefined>;
  /** A served version's metadata (requests that pin a version). */
  getVersion(name: string, version: string): Promise<ModelInfo | undefined>;
  /** Whether the model is published, served yet or not. */
  isPublished(name: string): Promise<boolean>;
}

export interface ModelStatus {
  /** Workers with a live heartbeat for the model. */
  readyReplicas: number;
  /** Requests accepted and not yet finished (queued or running). */
  queueDepth: number;
}

export class RedisModelRegistry implements ModelRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async list(): Promise<ModelInfo[]> {
    const all = await this.redis.hgetall(this.keys.models);
    return Object.values(all)
      .map((json) => ModelInfoSchema.parse(JSON.parse(json)))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<ModelInfo | undefined> {
    const json = await this.redis.hget(this.keys.models, name);
    return json === null ? undefined : ModelInfoSchema.parse(JSON.parse(json));
  }

  async getVersion(name: string, version: string): Promise<ModelInfo | undefined> {
    const json = await this.redis.hget(this.keys.modelVersions, `${name}@${version}`);
    return json === null ? undefined : ModelInfoSchema.parse(JSON.parse(json));
  }

  async isPublished(name: string): Promise<boolean> {
    return (await this.redis.hexists(this.keys.specs, name)) === 1;
  }

  /** Registers a served model and its version (a worker serving a fixed repository). */
  async put(info: ModelInfo): Promise<void> {
    const json = JSON.stringify(ModelInfoSchema.parse(info));
    await this.redis
      .multi()
      .hset(this.keys.models, info.name, json)
      .hset(this.keys.modelVersions, `${info.name}@${info.version}`, json)
      .exec();
  }

  /** Marks `workerId` as serving `model` until now + ttlMs; also drops expired replicas. */
  async heartbeat(model: string, workerId: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    const key = this.keys.replicas(model);
    await this.redis
      .pipeline()
      .zadd(key, now + ttlMs, workerId)
      .zremrangebyscore(key, '-inf', now)
      .exec();
  }

  async leave(model: string, workerId: string): Promise<void> {
    await this.redis.zrem(this.keys.replicas(model), workerId);
  }

  async status(models: readonly string[]): Promise<Map<string, ModelStatus>> {
    const now = Date.now();
    // One pipeline per model: a model's keys share its hash tag, while a pipeline over several
    // models would span Redis Cluster nodes (which ioredis's Cluster client refuses).
    const replies = await Promise.all(
      models.map(async (m) => {
        const pipe = this.redis.pipeline().zcount(this.keys.replicas(m), now, '+inf');
        for (const stream of modelStreams(this.keys, m).all) pipe.xlen(stream);
        return (await pipe.exec()) ?? [];
      }),
    );
    const out = new Map<string, ModelStatus>();
    models.forEach((m, i) => {
      const mine = replies[i]!;
      const failed = mine.find(([err]) => err);
      if (failed) throw failed[0];
      const [replicas, ...depths] = mine.map(([, v]) => Number(v));
      out.set(m, { readyReplicas: replicas!, queueDepth: depths.reduce((a, b) => a + b, 0) });
    });
    return out;
  }
}

/**
 * Caches lookups for `ttlMs`: validation runs on every request and the catalog changes
 * rarely. A model published a moment ago may take up to ttlMs to be found.
 */
export class CachedRegistry implements ModelRegistry {
  private cache: { at: number; models: Map<string, ModelInfo> } | undefined;
  private loading: Promise<Map<string, ModelInfo>> | undefined;

  constructor(
    private readonly inner: ModelRegistry,
    private readonly ttlMs = 1000,
  ) {}

  private async snapshot(): Promise<Map<string, ModelInfo>> {
    if (this.cache && Date.now() - this.cache.at < this.ttlMs) return this.cache.models;
    this.loading ??= this.inner
      .list()
      .then((list) => {
        const models = new Map(list.map((m) => [m.name, m]));
        this.cache = { at: Date.now(), models };
        return models;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  async list(): Promise<ModelInfo[]> {
    return [...(await this.snapshot()).values()];
  }

  /** Drops the snapshot: the next lookup reads the catalog again. */
  invalidate(): void {
    this.cache = undefined;
  }

  getVersion(name: string, version: string): Promise<ModelInfo | undefined> {
    return this.inner.getVersion(name, version);
  }

  isPublished(name: string): Promise<boolean> {
    return this.inner.isPublished(name);
  }

  async get(name: string): Promise<ModelInfo | undefined> {
    const hit = (await this.snapshot()).get(name);
    if (hit || !this.cache) return hit;
    // A miss may be a model published since the snapshot: look once more, uncached.
    return this.inner.get(name);
  }
}
