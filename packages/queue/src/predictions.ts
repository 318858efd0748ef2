// Creating and reading predictions: the gateway's side of the queue.
import {
  AltoError, PRIORITIES, decodeTensors, encodeTensors, modelOfPrediction, type Priority,
  type PredictionRecord, type ResponseFormat, type Status, type TensorMap,
} from '@alto/protocol';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import { commandName, defineScripts, type ScriptedRedis } from './scripts.ts';
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
  /** A gateway waits for the outcome: its completion notice carries the record. */
  waited?: boolean;
  /** The request's Idempotency-Key: a repeat within `ttlMs` gets the first prediction back. */
  idempotency?: Idempotency;
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

export class PredictionStore {
  private readonly redis: ScriptedRedis;

  constructor(redis: Redis, private readonly keys: Keys) {
    this.redis = defineScripts(redis);
  }

  /** Records the prediction and appends it to the model's stream, in one atomic step. */
  async enqueue(p: NewPrediction): Promise<PredictionRecord> {
    const createdAt = p.createdAt ?? Date.now();
    // Webhooks: the dispatcher reads the outboxes of the models in this set. Added first, so
    // no event of this prediction can be appended to an outbox nobody reads.
    if (p.webhook) await this.redis.sadd(this.keys.webhookModels, p.model);
    const owner = p.owner ?? ANONYMOUS;
    const hash = this.keys.prediction(p.model, p.id);
    const idem = p.idempotency;
    const priority = p.priority ?? 'normal';
    const stream = (q: Priority) => (p.pinned ? this.keys.versionStream(p.model, p.version, q) : this.keys.stream(p.model, q));
    const others = PRIORITIES.filter((q) => q !== priority);
    const result = await this.redis[commandName('enqueue')]!(
      stream(priority), hash, this.keys.unpublished(p.model), idem ? this.keys.idempotency(p.model, owner, idem.keyHash) : hash,
      stream(others[0]!), stream(others[1]!),
      p.id, p.version, createdAt, p.format, encodeTensors(p.tensors), p.maxQueueLength ?? 0, p.deadline ?? 0,
      p.pinned ? '1' : '0',
      p.webhook ? encodeWebhook(p.webhook) : '',
      owner, idem?.requestHash ?? '', idem?.ttlMs ?? 0, priority, p.waited ? '1' : '0',
    );
    if (Array.isArray(result)) {
      const first = String(result[0]);
      const record = await this.get(first);
      if (!record) {
        throw new AltoError('prediction_not_found', `the prediction this Idempotency-Key created ('${first}') has expired`);
      }
      return { ...record, replayed: true };
    }
    if (result === -4) {
      throw new AltoError(
        'idempotency_key_reused',
        'header \'Idempotency-Key\': this key was used for a different request (body or version) of this model in the last ' +
          `${Math.round(idem!.ttlMs / 3_600_000)} h; send a new key for a new request`,
      );
    }
    if (result === -1) throw new Error(`prediction ${p.id} already exists`);
    if (result === -3) throw new AltoError('model_unpublished', `model '${p.model}' has been unpublished`);
    if (result === -2) {
      throw new AltoError(
        'queue_full',
        `model '${p.model}' has ${p.maxQueueLength} requests outstanding, its max_queue_length; retry later`,
        true,
      );
    }
    return {
      id: p.id, model: p.model, version: p.version, status: 'queued', format: p.format,
      output: null, error: null, createdAt, startedAt: null, completedAt: null,
      queueMs: null, predictMs: null, batchSize: null, owner,
      ...(p.webhook ? { webhook: newWebhookRecord(p.webhook) } : {}),
    };
  }

  /**
   * Cancels a prediction (see cancel-2.lua); returns it as it stands afterwards, or
   * undefined when the id is unknown or past retention.
   */
  async cancel(id: string, retentionMs: number): Promise<PredictionRecord | undefined> {
    const model = modelOfPrediction(id);
    if (model === undefined) return undefined;
    const [pin, version, prio] = await this.redis.hmget(this.keys.prediction(model, id), 'pin', 'version', 'prio');
    const priority = (PRIORITIES as readonly string[]).includes(prio ?? '') ? (prio as Priority) : 'normal';
    const stream = pin === '1' && version ? this.keys.versionStream(model, version, priority) : this.keys.stream(model, priority);
    const status = await this.redis[commandName('cancel')]!(
      stream, this.keys.prediction(model, id), this.keys.outbox(model),
      Date.now(), retentionMs, this.keys.completions, id,
    );
    return status === null ? undefined : this.get(id);
  }

  /**
   * Fails every prediction of `model` that has not started, in its streams and in its
   * versions' streams, of every priority (see fail-queued-3.lua). Returns how many were failed.
   */
  async failQueued(model: string, code: string, message: string, retentionMs: number): Promise<number> {
    const streams = PRIORITIES.map((q) => this.keys.stream(model, q));
    for (const q of PRIORITIES) {
      let cursor = '0';
      do {
        const [next, found] = await this.redis.scan(cursor, 'MATCH', this.keys.versionStream(model, '*', q), 'COUNT', 500);
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
          const id = fields[fields.indexOf('id') + 1]!;
          (pipe as unknown as ScriptedRedis)[commandName('failQueued')]!(
            stream, this.keys.prediction(model, id), this.keys.outbox(model), entry, code, message, Date.now(), retentionMs, this.keys.completions, id,
          );
        }
        const replies = (await pipe.exec()) ?? [];
        failed += replies.filter(([err, r]) => !err && r === 1).length;
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
    if (!hash.status) return undefined;
    return parseRecord(id, model, hash);
  }
}

const num = (b: Buffer | undefined): number | null => (b === undefined ? null : Number(b.toString()));

export function parseRecord(id: string, model: string, h: Record<string, Buffer>, now = Date.now()): PredictionRecord {
  const str = (field: string) => h[field]?.toString();
  const deadline = num(h.deadline);
  if (str('status') === 'queued' && deadline !== null && now > deadline) {
    // Not started in time: expired, whether or not a worker has come to mark it yet.
    return {
      ...parseRecord(id, model, { ...h, status: Buffer.from('expired') }, now),
      completedAt: deadline,
      error: { code: 'deadline_exceeded', message: 'not started before its deadline (timeout_ms)' },
    };
  }
  return {
    id,
    model,
    version: str('version') ?? '',
    status: str('status') as Status,
    format: str('fmt') === 'b64' ? 'b64' : 'json',
    output: h.out ? decodeTensors(h.out) : null,
    error: h.err_code ? { code: str('err_code')!, message: str('err_msg') ?? '' } : null,
    createdAt: num(h.created_at) ?? 0,
    startedAt: num(h.started_at),
    completedAt: num(h.completed_at),
    queueMs: num(h.queue_ms),
    predictMs: num(h.predict_ms),
    batchSize: num(h.batch_size),
    webhook: parseWebhook(h),
    owner: str('owner') ?? '',
  };
}
