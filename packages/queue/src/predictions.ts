// Creating and reading predictions: the gateway's side of the queue.
import {
  AltoError,
  PRIORITIES,
  decodeTensors,
  encodeTensors,
  modelOfPrediction,
  type Priority,
  type PredictionRecord,
  type ResponseFormat,
  type Status,
  type TensorMap,
} from '@alto/protocol';
import type { Cluster, Redis } from 'ioredis';
import { isCluster, isRedirect, isRedisUnavailable, refreshSlots } from './connection.ts';
import { ENTRY, PREDICTION, entryFields } from './fields.ts';
import { modelStreams, versionStreamsPattern, type Keys } from './keys.ts';
import { exhaustive, pipelineReply } from './lua-script.ts';
import { addWaiter, cancel, defineQueueScripts, enqueue, failQueued } from './scripts/index.ts';
import { encodeWebhook, newWebhookRecord, parseWebhook, type NewWebhook } from './webhook-record.ts';

export interface NewPrediction {
  id: string;
  model: string;
  version: string;
  format: ResponseFormat;
  tensors: TensorMap;
  createdAt?: number;
  /** Most requests outstanding for the model; 0 = no limit. @default 0 */
  maxQueueLength?: number;
  /** Epoch ms by which it must start (else expired) and finish (else failed). */
  deadline?: number;
  /** The request pins `version`: it goes to that version's stream. */
  pinned?: boolean;
  /** Where to POST its events; none when absent. */
  webhook?: NewWebhook;
  /** Workers fill batches from higher priorities first. @default 'normal' */
  priority?: Priority;
  /** Fingerprint of the API key that submits it. @default ANONYMOUS */
  owner?: string;
  /**
   * The channel of the gateway waiting for the outcome (`keys.notices`, see CompletionHub):
   * the completion notice goes there, carrying the record. None: nobody is notified.
   */
  notify?: string;
  /** The request's Idempotency-Key: a repeat within `ttlMs` gets the first prediction back. */
  idempotency?: Idempotency;
  /** Trace context: the W3C traceparent its worker spans descend from. @default none */
  traceparent?: string;
  /**
   * Who its usage counts against (the entry's `k`, see key-usage.ts): a managed API key's id,
   * 'bootstrap' or 'anonymous'. @default 'anonymous'
   */
  usageKey?: string;
}

export interface Idempotency {
  /** sha256 (hex) of the Idempotency-Key header's value. */
  keyHash: string;
  /** sha256 (hex) of what makes the request the same one: its body, model and version. */
  requestHash: string;
  /** How long the key is remembered. */
  ttlMs: number;
}

/** The owner of predictions submitted while the gateway has no API keys. */
export const ANONYMOUS = 'anonymous';

/** Durability of accepted requests across a Redis failover (see docs/reliability.md). */
export interface ReplicaWait {
  /** Replicas that must confirm an enqueue before it is reported accepted; 0 = no WAIT. @default 0 */
  replicas: number;
  /** How long WAIT waits for them. @default 500 */
  timeoutMs?: number;
}

export class PredictionStore {
  private readonly redis: Redis;

  constructor(
    redis: Redis,
    private readonly keys: Keys,
    private readonly replicaWait: ReplicaWait = { replicas: 0 },
  ) {
    this.redis = defineQueueScripts(redis);
  }

  /** Records the prediction and appends it to the model's stream, in one atomic step. */
  async enqueue(p: NewPrediction): Promise<PredictionRecord> {
    const createdAt = p.createdAt ?? Date.now();
    // Webhooks: the dispatcher reads the outboxes of the models in this set. Added first, so
    // no event of this prediction can be appended to an outbox nobody reads.
    if (p.webhook) await this.redis.sadd(this.keys.webhookModels, p.model);
    const owner = p.owner ?? ANONYMOUS;
    const idem = p.idempotency;
    const params = {
      keys: this.keys,
      model: p.model,
      id: p.id,
      version: p.version,
      pinned: p.pinned === true,
      priority: p.priority ?? 'normal',
      createdAt,
      format: p.format,
      inputs: encodeTensors(p.tensors),
      maxQueueLength: p.maxQueueLength ?? 0,
      deadline: p.deadline ?? 0,
      webhook: p.webhook ? encodeWebhook(p.webhook) : undefined,
      owner,
      idempotency: idem,
      notify: p.notify,
      traceparent: p.traceparent,
      usageKey: p.usageKey,
    };
    const result = await (
      this.replicaWait.replicas > 0 ? this.enqueueConfirmed(params) : enqueue.run(this.redis, params)
    ).catch((err: unknown) => {
      // In a cluster an unreachable node may be a master that failed over: relearn the slots
      // now rather than at the client's next periodic refresh, so the refusals end sooner.
      if (isCluster(this.redis) && isRedisUnavailable(err, this.redis)) void refreshSlots(this.redis);
      throw err;
    });
    switch (result.code) {
      case 'QUEUED':
        break;
      case 'REPEATED': {
        const record = await this.get(result.id);
        if (!record) {
          throw new AltoError(
            'prediction_not_found',
            `the prediction this Idempotency-Key created ('${result.id}') has expired`,
          );
        }
        return { ...record, replayed: true };
      }
      case 'KEY_REUSED':
        throw new AltoError(
          'idempotency_key_reused',
          "header 'Idempotency-Key': this key was used for a different request (body or version) of this model in the last " +
            `${Math.round(idem!.ttlMs / 3_600_000)} h; send a new key for a new request`,
        );
      case 'EXISTS':
        throw new Error(`prediction ${p.id} already exists`);
      case 'UNPUBLISHED':
        throw new AltoError('model_unpublished', `model '${p.model}' has been unpublished`);
      case 'QUEUE_FULL':
        throw new AltoError(
          'queue_full',
          `model '${p.model}' has ${p.maxQueueLength} requests outstanding, its max_queue_length; retry later`,
          true,
        );
      default:
        exhaustive(result);
    }
    return {
      id: p.id,
      model: p.model,
      version: p.version,
      status: 'queued',
      format: p.format,
      output: null,
      error: null,
      createdAt,
      startedAt: null,
      completedAt: null,
      queueMs: null,
      predictMs: null,
      batchSize: null,
      owner,
      ...(p.webhook ? { webhook: newWebhookRecord(p.webhook) } : {}),
      ...(p.traceparent ? { traceparent: p.traceparent } : {}),
    };
  }

  /**
   * Cancels a prediction (see cancel-3.lua); returns it as it stands afterwards, or
   * undefined when the id is unknown or past retention.
   */
  async cancel(id: string, retentionMs: number): Promise<PredictionRecord | undefined> {
    const model = modelOfPrediction(id);
    if (model === undefined) return undefined;
    const [pin, version, prio] = await this.redis.hmget(
      this.keys.prediction(model, id),
      PREDICTION.pinned,
      PREDICTION.version,
      PREDICTION.priority,
    );
    const priority = (PRIORITIES as readonly string[]).includes(prio ?? '') ? (prio as Priority) : 'normal';
    const stream = modelStreams(this.keys, model, pin === '1' && version ? version : undefined).of(priority);
    const r = await cancel.run(this.redis, {
      keys: this.keys,
      model,
      stream,
      predictionId: id,
      now: Date.now(),
      retentionMs,
    });
    return r.code === 'GONE' ? undefined : this.get(id);
  }

  /**
   * Sends a prediction's completion notice to `channel` too (see add-waiter-1.lua): for a
   * gateway waiting for a prediction another request created. Returns its status, or
   * undefined when it is unknown or past retention.
   */
  async addWaiter(id: string, channel: string): Promise<Status | undefined> {
    const model = modelOfPrediction(id);
    if (model === undefined) return undefined;
    const r = await addWaiter.run(this.redis, { keys: this.keys, model, predictionId: id, channel });
    return r.code === 'GONE' ? undefined : r.status;
  }

  /**
   * The enqueue, then WAIT in the same pipeline: one connection to the node holding the
   * model's slot, so WAIT counts the replicas that have the enqueue. Short of the count, the
   * request is refused (503, retryable) rather than reported accepted: a failover now could
   * lose it. (It may still run: the master has it.)
   */
  private async enqueueConfirmed(params: Parameters<typeof enqueue.run>[1]) {
    const { replicas, timeoutMs = 500 } = this.replicaWait;
    let results: [Error | null, unknown][] = [];
    // A pipeline that mixes a script with WAIT is not redirected by the Cluster client when
    // the slot moved (after a failover): the script did not run, so learn the slots and resend.
    for (let attempt = 0; attempt < 3; attempt++) {
      const pipe = this.redis.pipeline();
      enqueue.queue(pipe, params);
      pipe.wait(replicas, timeoutMs);
      results = (await pipe.exec()) ?? [];
      if (!isRedirect(results[0]?.[0])) break;
      await refreshSlots(this.redis);
    }
    const result = pipelineReply(enqueue, results, 0);
    const [err, confirmed] = results[1] ?? [new Error('WAIT: no reply'), 0];
    if (err) throw err;
    if (result.code === 'QUEUED' && Number(confirmed) < replicas) {
      throw new AltoError(
        'redis_unavailable',
        `the request was not confirmed by ${replicas} Redis replica(s) within ${timeoutMs} ms ` +
          `(ALTO_REDIS_WAIT_REPLICAS; ${Number(confirmed)} did), so it is not accepted; retry`,
        true,
      );
    }
    return result;
  }

  /**
   * Fails every prediction of `model` that has not started, in its streams and in its
   * versions' streams, of every priority (see fail-queued-3.lua). Returns how many were failed.
   */
  async failQueued(model: string, code: string, message: string, retentionMs: number): Promise<number> {
    const streams = [...modelStreams(this.keys, model).all];
    // SCAN walks one node's keys: in a cluster, every master's (the model's slot is on one).
    const nodes = isCluster(this.redis) ? (this.redis as unknown as Cluster).nodes('master') : [this.redis];
    for (const [node, q] of nodes.flatMap((n) => PRIORITIES.map((p) => [n, p] as const))) {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(
          cursor,
          'MATCH',
          versionStreamsPattern(this.keys, model, q),
          'COUNT',
          500,
        );
        cursor = next;
        streams.push(...found);
      } while (cursor !== '0');
    }
    let failed = 0;
    for (const stream of streams) {
      let start = '-';
      for (;;) {
        const entries = await this.redis.xrange(stream, start, '+', 'COUNT', 500);
        if (entries.length === 0) break;
        const pipe = this.redis.pipeline();
        for (const [entry, fields] of entries) {
          const id = entryFields(fields)!.get(ENTRY.id)!;
          failQueued.queue(pipe, {
            keys: this.keys,
            model,
            stream,
            entryId: entry,
            predictionId: id,
            error: { code, message },
            now: Date.now(),
            retentionMs,
          });
        }
        const replies = (await pipe.exec()) ?? [];
        failed += replies.filter(([err, r]) => !err && failQueued.decode(r) === 'FAILED').length;
        start = `(${entries.at(-1)![0]}`;
      }
    }
    return failed;
  }

  /** The prediction, or undefined when the id is unknown or past retention. */
  async get(id: string): Promise<PredictionRecord | undefined> {
    const model = modelOfPrediction(id);
    if (model === undefined) return undefined;
    const hash = await this.redis.hgetallBuffer(this.keys.prediction(model, id));
    if (!hash[PREDICTION.status]) return undefined;
    return parseRecord(id, model, hash);
  }
}

const num = (b: Buffer | undefined): number | null => (b === undefined ? null : Number(b.toString()));

export function parseRecord(id: string, model: string, h: Record<string, Buffer>, now = Date.now()): PredictionRecord {
  const F = PREDICTION;
  const str = (field: string) => h[field]?.toString();
  const deadline = num(h[F.deadline]);
  if (str(F.status) === 'queued' && deadline !== null && now > deadline) {
    // Not started in time: expired, whether or not a worker has come to mark it yet.
    return {
      ...parseRecord(id, model, { ...h, [F.status]: Buffer.from('expired') }, now),
      completedAt: deadline,
      error: { code: 'deadline_exceeded', message: 'not started before its deadline (timeout_ms)' },
    };
  }
  return {
    id,
    model,
    version: str(F.version) ?? '',
    status: str(F.status) as Status,
    format: str(F.format) === 'b64' ? 'b64' : 'json',
    output: h[F.output] ? decodeTensors(h[F.output]!) : null,
    error: h[F.errorCode] ? { code: str(F.errorCode)!, message: str(F.errorMessage) ?? '' } : null,
    createdAt: num(h[F.createdAt]) ?? 0,
    startedAt: num(h[F.startedAt]),
    completedAt: num(h[F.completedAt]),
    queueMs: num(h[F.queueMs]),
    predictMs: num(h[F.predictMs]),
    batchSize: num(h[F.batchSize]),
    webhook: parseWebhook(h),
    owner: str(F.owner) ?? '',
    ...(h[F.traceparent] ? { traceparent: str(F.traceparent)! } : {}),
  };
}
