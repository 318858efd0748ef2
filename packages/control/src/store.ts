// Reading and writing the control plane's records in Redis. Specs are written by whichever
// publisher serves the admin request; worker reports by each worker; assignments, model
// states and the catalog only by the leader, through fenced writes (see fenced-write-6.lua).
import { ModelInfoSchema, type ModelInfo } from '@alto/protocol';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { controlKeys, type ControlKeys } from './keys.ts';
import { defineControlScripts, fencedWrite, lease, resign, type FencedWrite } from './lua.ts';
import {
  AssignmentSchema,
  ModelSpecSchema,
  ModelStateSchema,
  WorkerReportSchema,
  type Assignment,
  type ModelSpec,
  type ModelState,
  type WorkerReport,
} from './schemas.ts';

function parseAll<T>(schema: z.ZodType<T>, hash: Record<string, string>): Map<string, T> {
  const out = new Map<string, T>();
  for (const [field, json] of Object.entries(hash)) {
    const parsed = schema.safeParse(JSON.parse(json));
    // A record another release wrote in a shape this one does not know is skipped, not fatal.
    if (parsed.success) out.set(field, parsed.data);
  }
  return out;
}

/** Writes a leader applies atomically, if it still leads. */
export class Batch {
  readonly writes: FencedWrite[] = [];
  readonly messages: [string, string][] = [];
  set(key: string, field: string, value: unknown): this {
    this.writes.push(['hset', key, field, JSON.stringify(value)]);
    return this;
  }
  del(key: string, field: string): this {
    this.writes.push(['hdel', key, field]);
    return this;
  }
  publish(channel: string, message: string): this {
    this.messages.push([channel, message]);
    return this;
  }
  get empty(): boolean {
    return this.writes.length === 0 && this.messages.length === 0;
  }
}

export class ControlStore {
  private readonly redis: Redis;
  readonly keys: ControlKeys;

  /** @param namespace the installation's keys (of @alto/queue or of this package): their prefix. */
  constructor(redis: Redis, namespace: { prefix: string }) {
    this.redis = defineControlScripts(redis);
    this.keys = controlKeys(namespace.prefix);
  }

  // --- specs (desired state) ---
  async specs(): Promise<Map<string, ModelSpec>> {
    return parseAll(ModelSpecSchema, await this.redis.hgetall(this.keys.specs));
  }
  async spec(name: string): Promise<ModelSpec | undefined> {
    const json = await this.redis.hget(this.keys.specs, name);
    return json === null ? undefined : ModelSpecSchema.parse(JSON.parse(json));
  }
  /** Creates a spec; false when the name is taken. Clears an earlier unpublish. */
  async createSpec(spec: ModelSpec): Promise<boolean> {
    const created = await this.redis.hsetnx(this.keys.specs, spec.name, JSON.stringify(spec));
    if (created === 1) await this.redis.del(this.keys.unpublished(spec.name));
    return created === 1;
  }
  async putSpec(spec: ModelSpec): Promise<void> {
    await this.redis.hset(this.keys.specs, spec.name, JSON.stringify(spec));
  }
  /**
   * Unpublishes: enqueueing is refused from now on, then the spec goes and the model leaves
   * the catalog at once (the leader would also drop it on its next pass). Two steps, because
   * the marker is under the model's hash tag and the rest under `{control}`: one MULTI across
   * them would cross Redis Cluster slots. The marker goes first, so a crash between the two
   * leaves a model that refuses work while still listed (unpublish again), never the reverse.
   */
  async deleteSpec(name: string): Promise<boolean> {
    await this.redis.set(this.keys.unpublished(name), String(Date.now()));
    const versions = (await this.redis.hkeys(this.keys.modelVersions)).filter((f) => f.startsWith(`${name}@`));
    const tx = this.redis.multi().hdel(this.keys.specs, name).hdel(this.keys.models, name).hdel(this.keys.states, name);
    if (versions.length) tx.hdel(this.keys.modelVersions, ...versions);
    tx.publish(this.keys.catalogChannel, name);
    const replies = (await tx.exec()) ?? [];
    return Number(replies[0]?.[1]) === 1;
  }

  // --- workers ---
  async reports(): Promise<Map<string, WorkerReport>> {
    return parseAll(WorkerReportSchema, await this.redis.hgetall(this.keys.workers));
  }
  async putReport(report: WorkerReport): Promise<void> {
    await this.redis.hset(this.keys.workers, report.id, JSON.stringify(report));
  }
  async deleteReport(id: string): Promise<void> {
    await this.redis.hdel(this.keys.workers, id);
  }

  /** Drains a worker (true) or returns it to service (false): a drained worker gets no assignment. */
  async setDrained(id: string, drained: boolean): Promise<void> {
    if (drained) await this.redis.sadd(this.keys.drained, id);
    else await this.redis.srem(this.keys.drained, id);
  }
  async drained(): Promise<Set<string>> {
    return new Set(await this.redis.smembers(this.keys.drained));
  }

  // --- assignments, states, catalog (leader) ---
  async assignments(): Promise<Map<string, Assignment>> {
    return parseAll(AssignmentSchema, await this.redis.hgetall(this.keys.assignments));
  }
  async assignment(workerId: string): Promise<Assignment | undefined> {
    const json = await this.redis.hget(this.keys.assignments, workerId);
    return json === null ? undefined : AssignmentSchema.parse(JSON.parse(json));
  }
  async states(): Promise<Map<string, ModelState>> {
    return parseAll(ModelStateSchema, await this.redis.hgetall(this.keys.states));
  }
  async catalog(): Promise<Map<string, ModelInfo>> {
    return parseAll(ModelInfoSchema, await this.redis.hgetall(this.keys.models));
  }
  async versionInfos(): Promise<Map<string, ModelInfo>> {
    return parseAll(ModelInfoSchema, await this.redis.hgetall(this.keys.modelVersions));
  }

  /** Applies `batch` if `leaderId` still holds the lease; false when it does not. */
  async commit(leaderId: string, batch: Batch): Promise<boolean> {
    if (batch.empty) return true;
    const r = await fencedWrite.run(this.redis, {
      keys: this.keys,
      writer: leaderId,
      writes: batch.writes,
      messages: batch.messages,
    });
    return r === 'APPLIED';
  }

  /** Takes or renews the lease; the epoch led in, or 0 when another publisher leads. */
  async lease(candidateId: string, ttlMs: number): Promise<number> {
    const r = await lease.run(this.redis, { keys: this.keys, candidate: candidateId, ttlMs });
    return r.code === 'LEADS' ? r.epoch : 0;
  }
  async leader(): Promise<string | null> {
    return this.redis.get(this.keys.leader);
  }
  /** Gives the lease up at once if held (a clean shutdown), so a standby need not wait it out. */
  async resign(candidateId: string): Promise<void> {
    await resign.run(this.redis, { keys: this.keys, candidate: candidateId });
  }
}
