// The dispatcher's side of the webhook outboxes. The scripts that change a prediction's state
// (start-4, complete-3, cancel-3) append an event to its model's outbox in the same atomic
// step, so no event is lost between a state change and its delivery job. The dispatcher reads
// the outboxes through one consumer group, turns each event into a delivery job, and only
// then acknowledges and deletes it: an event read but not yet turned into a job stays
// pending and is read again after a crash (the job id makes that second read harmless).
import { modelOfPrediction, WEBHOOK_EVENTS, type DeliveryState, type WebhookEvent } from '@alto/protocol';
import type { Redis } from 'ioredis';
import { isCluster } from './connection.ts';
import { OUTBOX_EVENT, entryFields } from './fields.ts';
import type { Keys } from './keys.ts';
import { defineQueueScripts, webhookDelivery } from './scripts/index.ts';

/** The consumer group every dispatcher reads the outboxes through. */
export const OUTBOX_GROUP = 'dispatchers';

export interface OutboxEvent {
  model: string;
  /** Outbox entry id. */
  entryId: string;
  predictionId: string;
  event: WebhookEvent;
  /** When the event happened, epoch ms. */
  at: number;
}

type Rows = [Buffer, Buffer[] | null][];

export class Outbox {
  private readonly redis: Redis;
  private readonly grouped = new Set<string>();

  /**
   * @param redis connection for everything but blocking reads
   * @param blocking connection for blocking reads; without one, reads do not block
   * @param consumer this dispatcher's name in the group
   */
  constructor(
    redis: Redis,
    private readonly keys: Keys,
    private readonly consumer: string,
    private readonly blocking?: Redis,
  ) {
    this.redis = defineQueueScripts(redis);
  }

  /** The models whose predictions asked for webhooks, each outbox's group created once. */
  async models(): Promise<string[]> {
    const models = (await this.redis.smembers(this.keys.webhookModels)).sort();
    for (const m of models) {
      if (this.grouped.has(m)) continue;
      try {
        // From the start of the outbox: events appended before the first dispatcher ran count too.
        await this.redis.xgroup('CREATE', this.keys.outbox(m), OUTBOX_GROUP, '0', 'MKSTREAM');
      } catch (err) {
        if (!/BUSYGROUP/.test((err as Error).message)) throw err;
      }
      this.grouped.add(m);
    }
    return models;
  }

  /**
   * Reads up to `count` events per outbox. `from` '0' reads the events this consumer was
   * given before (and has not acknowledged: e.g. before a crash), '>' new ones; `blockMs`
   * waits for new ones (only with a blocking connection).
   */
  async read(models: readonly string[], from: '0' | '>', count: number, blockMs = 0): Promise<OutboxEvent[]> {
    if (models.length === 0) return [];
    if (models.length === 1 || !isCluster(this.redis)) return this.readStreams(models, from, count, blockMs);
    // In a Redis Cluster the streams of one XREADGROUP must share a slot, and each model's
    // outbox has its own: one read per model, then (nothing found) a blocking read on each in
    // turn, blockMs shared out among them. An event then waits at most about blockMs.
    const out: OutboxEvent[] = [];
    for (const m of models) out.push(...(await this.readStreams([m], from, count, 0)));
    if (out.length > 0 || from !== '>' || blockMs <= 0) return out;
    const slice = Math.max(10, Math.floor(blockMs / models.length));
    for (const m of models) {
      const got = await this.readStreams([m], from, count, slice);
      if (got.length > 0) return got;
    }
    return out;
  }

  private async readStreams(
    models: readonly string[],
    from: '0' | '>',
    count: number,
    blockMs: number,
  ): Promise<OutboxEvent[]> {
    const block = from === '>' && blockMs > 0 && this.blocking !== undefined;
    const args: (string | number)[] = ['GROUP', OUTBOX_GROUP, this.consumer, 'COUNT', count];
    if (block) args.push('BLOCK', blockMs);
    args.push('STREAMS', ...models.map((m) => this.keys.outbox(m)), ...models.map(() => from));
    const conn = block ? this.blocking! : this.redis;
    const reply = (await conn.callBuffer('XREADGROUP', ...args)) as [Buffer, Rows][] | null;
    const out: OutboxEvent[] = [];
    for (const [key, rows] of reply ?? []) {
      const model = models[models.map((m) => this.keys.outbox(m)).indexOf(key.toString())];
      if (model !== undefined) out.push(...(await this.parse(model, rows)));
    }
    return out;
  }

  /**
   * Takes over events another dispatcher read and has not acknowledged for `minIdleMs` (it
   * died or stalled). Taking over one it is still relaying is harmless: the job id is the same.
   */
  async claim(models: readonly string[], minIdleMs: number, count: number): Promise<OutboxEvent[]> {
    const out: OutboxEvent[] = [];
    for (const model of models) {
      const reply = (await this.redis.callBuffer(
        'XAUTOCLAIM',
        this.keys.outbox(model),
        OUTBOX_GROUP,
        this.consumer,
        minIdleMs,
        '0-0',
        'COUNT',
        count,
      )) as [Buffer, Rows, Buffer[]];
      out.push(...(await this.parse(model, reply[1] ?? [])));
    }
    return out;
  }

  private async parse(model: string, rows: Rows): Promise<OutboxEvent[]> {
    const out: OutboxEvent[] = [];
    for (const [id, fields] of rows) {
      const f = entryFields(fields);
      const predictionId = f?.get(OUTBOX_EVENT.id)?.toString();
      const event = f?.get(OUTBOX_EVENT.event)?.toString() as WebhookEvent;
      // Deleted while pending (nil fields) or not an event: nothing to relay, only to acknowledge.
      // A batch job's `completed` event (isBatchId of @alto/batches) names its batch, of this model.
      const ours =
        predictionId !== undefined && (predictionId.startsWith('batch_') || modelOfPrediction(predictionId) === model);
      if (!predictionId || !WEBHOOK_EVENTS.includes(event) || !ours) {
        await this.redis
          .multi()
          .xack(this.keys.outbox(model), OUTBOX_GROUP, id)
          .xdel(this.keys.outbox(model), id)
          .exec();
        continue;
      }
      out.push({ model, entryId: id.toString(), predictionId, event, at: Number(f!.get(OUTBOX_EVENT.at)?.toString()) });
    }
    return out;
  }

  /** Acknowledges and deletes relayed events: an outbox holds only events not yet relayed. */
  async ack(events: readonly OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    // One MULTI per model: a model's outbox is in its own Redis Cluster slot.
    const byModel = new Map<string, OutboxEvent[]>();
    for (const e of events) byModel.set(e.model, [...(byModel.get(e.model) ?? []), e]);
    const replies = await Promise.all(
      [...byModel].map(([model, mine]) => {
        const tx = this.redis.multi();
        for (const e of mine)
          tx.xack(this.keys.outbox(model), OUTBOX_GROUP, e.entryId).xdel(this.keys.outbox(model), e.entryId);
        return tx.exec();
      }),
    );
    const failed = replies.flatMap((r) => r ?? []).find(([err]) => err);
    if (failed) throw failed[0];
  }

  /** Events read but not yet acknowledged, over the given models' outboxes. */
  async pendingCount(models: readonly string[]): Promise<number> {
    let n = 0;
    for (const m of models) {
      const summary = (await this.redis.xpending(this.keys.outbox(m), OUTBOX_GROUP)) as [number, ...unknown[]];
      n += Number(summary[0]);
    }
    return n;
  }

  /**
   * Records an event's delivery state in its prediction (shown by GET /v1/predictions/{id}).
   * Returns false when the prediction is gone (past retention): nothing is written then.
   */
  async recordDelivery(
    model: string,
    predictionId: string,
    event: WebhookEvent,
    state: DeliveryState,
  ): Promise<boolean> {
    return (await webhookDelivery.run(this.redis, { keys: this.keys, model, predictionId, event, state })) === 'STORED';
  }
}
