// How the gateway feeds batch lines into the queue: each line is validated and submitted as
// POST /v1/models/{model}/predictions would be (the one submit path: key limits, memory
// check, idempotency, owner index), with the batch's priority and the Idempotency-Key
// `batch:<id>:<line>`; capacity keeps the batch to half the model's queue bound, leaving the
// rest to interactive requests, and to the key's queued limit.
import type { Batch, BatchFeed } from '@alto/batches';
import {
  AltoError,
  DEFAULT_MAX_QUEUE_LENGTH,
  PredictionRequestSchema,
  validateInputs,
  type PredictionRecord,
} from '@alto/protocol';
import type { ApiKeyRecord, Keys, ModelRegistry, PredictionStore, RedisModelRegistry } from '@alto/queue';
import type { Redis } from 'ioredis';
import { idempotency, idempotencyKeyHash } from './idempotency.ts';
import { payloadRefs, type PayloadRefs } from './payloads.ts';
import type { Predictions } from './submit.ts';
import type { WebhookGate } from './webhook.ts';

export interface BatchFeedDeps {
  redis: Redis;
  keys: Keys;
  predictions: Predictions;
  models: ModelRegistry;
  status: RedisModelRegistry;
  store: PredictionStore;
  webhooks: WebhookGate;
  retentionMs: number;
  /** How long a line's Idempotency-Key is remembered: longer than any batch runs. @default 7 days */
  idempotencyMs?: number;
  /** Releases a managed key's count of a prediction that ended. */
  release?(key: ApiKeyRecord, id: string): Promise<void>;
  /** Origin for webhook checks of lines that name one. */
  origin: string;
  /** Inputs and outputs by reference in lines, as in requests (ALTO_PAYLOAD_ROOTS). @default none: refused */
  payloads?: PayloadRefs;
}

/** The share of a model's max_queue_length a batch may fill: the rest stays for interactive requests. */
export const BATCH_QUEUE_SHARE = 0.5;

export function batchFeed(d: BatchFeedDeps): BatchFeed {
  const keyOf = async (b: Batch): Promise<ApiKeyRecord | undefined> => {
    if (!b.keyId) return undefined;
    const json = await d.redis.hget(d.keys.apiKeys, b.keyId);
    const key = json === null ? undefined : (JSON.parse(json) as ApiKeyRecord);
    if (!key || key.revoked_at !== null) {
      throw new AltoError('unauthorized', `the API key this batch was created with ('${b.keyId}') has been revoked`);
    }
    return key;
  };

  return {
    async submit(b, line, text) {
      const model = await d.predictions.findModel(b.model);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new AltoError('invalid_json', `line ${line}: not JSON (${(err as Error).message})`);
      }
      // custom_id is the batch's, not the request's.
      const { custom_id: _custom, ...body } = (json ?? {}) as Record<string, unknown>;
      const parsed = PredictionRequestSchema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const where = issue.path.length ? `field '${issue.path.join('.')}'` : 'request body';
        throw new AltoError('invalid_input', `line ${line}: ${where}: ${issue.message}`);
      }
      const payloads = d.payloads ?? payloadRefs([]);
      const inputs = validateInputs(model, parsed.data.input, payloads.validate).tensors;
      // Outputs stay in the result lines unless the line names its own output_uri.
      const tensors = payloads.withOutput(inputs, parsed.data.output_uri, false);
      const webhook = await d.webhooks.check(parsed.data, d.origin);
      const key = await keyOf(b);
      const idem = idempotency(
        idempotencyKeyHash(`batch:${b.id}:${line}`),
        Buffer.from(text),
        b.model,
        undefined,
        d.idempotencyMs ?? 7 * 86_400_000,
      );
      const { record } = await d.predictions.submit({
        owner: b.owner,
        ...(key ? { key } : {}),
        model,
        pinned: false,
        tensors,
        format: parsed.data.response_format,
        priority: b.priority,
        waitMs: 0,
        ...(parsed.data.timeout_ms ? { timeoutMs: parsed.data.timeout_ms } : {}),
        ...(webhook ? { webhook } : {}),
        ...(idem ? { idempotency: idem } : {}),
      });
      return record.id;
    },
    async capacity(b, outstanding) {
      const model = await d.models.get(b.model);
      if (!model) return outstanding;
      const share = Math.max(1, Math.floor((model.max_queue_length ?? DEFAULT_MAX_QUEUE_LENGTH) * BATCH_QUEUE_SHARE));
      const depth = (await d.status.status([b.model])).get(b.model)?.queueDepth ?? 0;
      let cap = outstanding + Math.max(0, share - depth);
      const key = b.keyId ? await keyOf(b).catch(() => undefined) : undefined;
      if (key?.max_queued != null) cap = Math.min(cap, key.max_queued);
      return cap;
    },
    get: (id: string): Promise<PredictionRecord | undefined> => d.store.get(id),
    async cancel(id) {
      await d.store.cancel(id, d.retentionMs);
    },
    async ended(b, ids) {
      if (!d.release || !b.keyId) return;
      const key = await keyOf(b).catch(() => undefined);
      if (key) for (const id of ids) await d.release(key, id);
    },
  };
}
