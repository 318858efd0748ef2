// Batch jobs in Redis: creating, reading, listing and canceling them (the API's side), and the
// feeder's steps, each one script (the runner's side; see lua/ for each contract).
import { randomBytes } from 'node:crypto';
import type { Priority } from '@alto/protocol';
import { OUTBOX_EVENT, type Keys } from '@alto/queue';
import type { Redis } from 'ioredis';
import { parseBatch, type Batch, type PendingEntry, type SealedShard } from './batch.ts';
import type { BatchKeys } from './keys.ts';
import { BATCH_SCRIPTS, cancel, feed, finish, lease, seal, written, type FinishParams } from './scripts.ts';

export interface NewBatch {
  owner: string;
  keyId?: string;
  model: string;
  inputUri: string;
  outputUri: string;
  priority: Priority;
  /** A checked webhook URL for the `batch.completed` event. @default none */
  webhook?: string;
}

/** Crockford-free, sortable enough: time then randomness, in lowercase base 36. */
export const newBatchId = (now = Date.now()): string =>
  `batch_${now.toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;

export class BatchStore {
  constructor(
    private readonly redis: Redis,
    readonly keys: BatchKeys,
  ) {
    for (const s of BATCH_SCRIPTS) s.define(redis);
  }

  async create(b: NewBatch, now = Date.now()): Promise<Batch> {
    const id = newBatchId(now);
    await this.redis.hset(this.keys.meta(id), {
      id,
      owner: b.owner,
      key_id: b.keyId ?? '',
      model: b.model,
      input_uri: b.inputUri,
      output_uri: b.outputUri,
      priority: b.priority,
      status: 'queued',
      created_at: now,
      ...(b.webhook ? { webhook: b.webhook } : {}),
    });
    // The work list after the record, so a runner never finds an id without its batch.
    await this.redis.zadd(this.keys.active, now, id);
    await this.redis.zadd(this.keys.owned(b.owner), now, id);
    return (await this.get(id))!;
  }

  async get(id: string): Promise<Batch | undefined> {
    return parseBatch(await this.redis.hgetall(this.keys.meta(id)));
  }

  /** One owner's batches, newest first; ids whose batch expired are dropped from the listing. */
  async list(owner: string, limit: number): Promise<Batch[]> {
    const ids = await this.redis.zrevrange(this.keys.owned(owner), 0, limit - 1);
    const found = await Promise.all(ids.map((id) => this.get(id)));
    const gone = ids.filter((_, i) => !found[i]);
    if (gone.length) await this.redis.zrem(this.keys.owned(owner), ...gone);
    return found.filter((b): b is Batch => b !== undefined);
  }

  /** Ids of the batches not finished yet (the runners' work list). */
  active(): Promise<string[]> {
    return this.redis.zrange(this.keys.active, 0, -1);
  }

  /** Drops a finished (or expired) batch from the work list. */
  async retire(id: string): Promise<void> {
    await this.redis.zrem(this.keys.active, id);
  }

  cancel(id: string, now = Date.now()) {
    return cancel.run(this.redis, { keys: this.keys, batch: id, now });
  }

  // ---- the feeder's steps: each checks that the caller still holds the batch's lease ----

  lease(id: string, token: string, ttlMs: number, now = Date.now()) {
    return lease.run(this.redis, { keys: this.keys, batch: id, token, ttlMs, now });
  }

  /** Records how many request lines the input has (the feeder counts them once). */
  async setTotal(id: string, total: number, lastLine: number): Promise<void> {
    await this.redis.hset(this.keys.meta(id), { total, last_line: lastLine });
  }

  feed(id: string, token: string, line: number, entry: PendingEntry) {
    return feed.run(this.redis, { keys: this.keys, batch: id, token, line, entry: JSON.stringify(entry) });
  }

  async pending(id: string): Promise<Map<number, PendingEntry>> {
    const h = await this.redis.hgetall(this.keys.pending(id));
    return new Map(Object.entries(h).map(([line, v]) => [Number(line), JSON.parse(v) as PendingEntry]));
  }

  seal(
    id: string,
    token: string,
    shard: number,
    record: SealedShard,
    counts: { succeeded: number; failed: number; canceled: number },
  ) {
    return seal.run(this.redis, {
      keys: this.keys,
      batch: id,
      token,
      shard,
      record: JSON.stringify(record),
      ...counts,
      lines: record.lines.map(([line]) => line),
    });
  }

  async sealedShard(id: string, shard: number): Promise<SealedShard | undefined> {
    const v = await this.redis.hget(this.keys.shards(id), String(shard));
    return v ? (JSON.parse(v) as SealedShard) : undefined;
  }

  written(id: string, token: string, shard: number) {
    return written.run(this.redis, { keys: this.keys, batch: id, token, shard });
  }

  /**
   * Hands the `batch.completed` event of a finished batch to its model's webhook outbox (the
   * dispatcher relays it), then records that it did. A crash in between appends it twice:
   * both events have the webhook-id `<batch id>.completed`, which the dispatcher delivers once.
   */
  async announce(b: Batch, queueKeys: Pick<Keys, 'outbox' | 'webhookModels'>, now = Date.now()): Promise<void> {
    await this.redis.sadd(queueKeys.webhookModels, b.model);
    await this.redis.xadd(
      queueKeys.outbox(b.model),
      '*',
      OUTBOX_EVENT.id,
      b.id,
      OUTBOX_EVENT.event,
      'completed',
      OUTBOX_EVENT.at,
      String(b.finishedAt ?? now),
    );
    await this.redis.hset(this.keys.meta(b.id), 'webhook_sent', '1');
  }

  finish(id: string, p: Omit<FinishParams, 'keys' | 'batch'>) {
    return finish.run(this.redis, { keys: this.keys, batch: id, ...p });
  }
}
