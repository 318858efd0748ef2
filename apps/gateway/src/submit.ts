// The one way into the queue for every protocol the gateway speaks (Alto's API, the Open
// Inference Protocol over REST and gRPC): model lookup, enqueue with its idempotency and owner
// index, and the wait for a terminal state on the completion hub. Transport-free: callers
// parse and validate their own request shapes and render the record their own way.
import {
  AltoError,
  DEFAULT_MAX_QUEUE_LENGTH,
  TERMINAL,
  newPredictionId,
  type ModelInfo,
  type PredictionRecord,
  type Priority,
  type ResponseFormat,
  type TensorMap,
} from '@alto/protocol';
import type {
  ApiKeyRecord,
  CompletionHub,
  Idempotency,
  MemoryGauge,
  ModelRegistry,
  OwnerIndex,
  PredictionStore,
  NewWebhook,
} from '@alto/queue';
import { ROOT_CONTEXT, formatTraceparent, inSpan, type Context as TraceContext, type Logger } from '@alto/telemetry';
import type { KeyLimits } from './key-limits.ts';
import { usageKeyOf } from './key-usage.ts';
import type { GatewayMetrics } from './metrics.ts';
import { gatewayTracer } from './tracing.ts';

export interface SubmitDeps {
  memory?: MemoryGauge;
  store: PredictionStore;
  models: ModelRegistry;
  hub: CompletionHub;
  owners: OwnerIndex;
  metrics: GatewayMetrics;
  log: Logger;
  retentionMs: number;
  /** Managed API keys' limits. @default none: keys carry no limits */
  keyLimits?: KeyLimits;
}

export interface Submission {
  owner: string;
  /** The managed API key used: its limits apply. */
  key?: ApiKeyRecord;
  model: ModelInfo;
  /** Whether the request named the version (it then runs on that version only). */
  pinned: boolean;
  tensors: TensorMap;
  format?: ResponseFormat;
  priority?: Priority;
  /** Milliseconds from submission; @default the model's timeout_ms, if any */
  timeoutMs?: number;
  webhook?: NewWebhook;
  idempotency?: Idempotency;
  /** How long to hold for a terminal state; 0 = answer as soon as it is queued. */
  waitMs: number;
  /** The request's trace context (its server span): the enqueue span goes under it. @default none */
  trace?: TraceContext;
}

export interface Submitted {
  record: PredictionRecord;
  /** The request's Idempotency-Key named an earlier prediction: `record` is that one. */
  replayed: boolean;
}

export interface Predictions {
  /** The model as its served version; throws model_not_found or model_not_ready. */
  findModel(name: string): Promise<ModelInfo>;
  /** A version the model serves; throws version_not_found (or findModel's errors). */
  findVersion(name: string, version: string): Promise<ModelInfo>;
  submit(s: Submission): Promise<Submitted>;
}

export function predictions(d: SubmitDeps): Predictions {
  const findModel = async (name: string): Promise<ModelInfo> => {
    const model = await d.models.get(name);
    if (model) return model;
    if (await d.models.isPublished(name)) {
      throw new AltoError(
        'model_not_ready',
        `model '${name}' is published but no replica has loaded it yet; retry shortly`,
        true,
      );
    }
    throw new AltoError('model_not_found', `model '${name}' is not published`);
  };

  const findVersion = async (name: string, version: string): Promise<ModelInfo> => {
    const model = await findModel(name);
    const info = model.versions.includes(version) ? await d.models.getVersion(name, version) : undefined;
    if (!info) {
      throw new AltoError(
        'version_not_found',
        `model '${name}' serves version(s) ${model.versions.join(', ')}, not '${version}'`,
      );
    }
    return info;
  };

  async function awaitTerminal(
    initial: PredictionRecord,
    watch: ReturnType<CompletionHub['watch']>,
    waitMs: number,
  ): Promise<PredictionRecord> {
    const deadline = Date.now() + waitMs;
    let record = initial;
    while (!TERMINAL.has(record.status)) {
      const signal = await watch.next(deadline - Date.now());
      if (signal === 'timeout') {
        return (await d.store.get(record.id)) ?? record;
      }
      // A notice may carry the finished record; otherwise read it.
      record = (signal === 'done' ? watch.carried() : undefined) ?? (await d.store.get(record.id)) ?? record;
    }
    return record;
  }

  async function submit(s: Submission): Promise<Submitted> {
    const { model, key } = s;
    const limits = key ? d.keyLimits : undefined;
    limits?.allowModel(key!, model.name);
    // Checked last before the enqueue, on a cached reading (no round trip per request).
    await d.memory?.admit();
    const created = newPredictionId(model.name);
    const timeoutMs = s.timeoutMs ?? model.timeout_ms;
    await limits?.admit(key!, model.name, created, timeoutMs ? timeoutMs + 60_000 : d.retentionMs);
    // Counted until it ends: released at once when it is not created, or when seen to end here.
    let counted = limits !== undefined;
    // Watch before enqueueing, so a completion published in between is not missed.
    let watch = s.waitMs > 0 ? d.hub.watch(created) : undefined;
    try {
      // This gateway's channel for the model, subscribed before the request can complete.
      const notify = watch ? await d.hub.listen(model.name) : undefined;
      const createdAt = Date.now();
      const timeout = s.timeoutMs ?? model.timeout_ms;
      const attributes = {
        'alto.model': model.name,
        'alto.model.version': model.version,
        'alto.prediction.id': created,
        'alto.priority': s.priority ?? 'normal',
      };
      const enqueueSpan = { attributes };
      let record = await inSpan(gatewayTracer, 'gateway.enqueue', enqueueSpan, s.trace ?? ROOT_CONTEXT, (span) =>
        d.store.enqueue({
          // The entry carries this span's context: the worker's spans continue the trace from here.
          traceparent: formatTraceparent(span.spanContext()),
          id: created,
          model: model.name,
          version: model.version,
          pinned: s.pinned,
          format: s.format ?? 'json',
          tensors: s.tensors,
          createdAt,
          owner: s.owner,
          usageKey: usageKeyOf(s),
          priority: s.priority ?? 'normal',
          ...(notify ? { notify } : {}),
          maxQueueLength: model.max_queue_length ?? DEFAULT_MAX_QUEUE_LENGTH,
          ...(timeout ? { deadline: createdAt + timeout } : {}),
          ...(s.webhook ? { webhook: s.webhook } : {}),
          ...(s.idempotency ? { idempotency: s.idempotency } : {}),
        }),
      );
      const replayed = record.replayed === true;
      if (replayed && counted) {
        counted = false;
        await limits!.release(key!, created);
      }
      // Indexed for listing while the prediction runs: off the path of a waiting request.
      let indexed: Promise<void> | undefined;
      if (replayed) {
        // The first prediction of this Idempotency-Key, which another request (maybe through
        // another gateway) created: watch it instead, have its notice sent here too, then read
        // it again so a completion before the notice could reach this gateway is not missed.
        if (watch) {
          watch.dispose();
          watch = d.hub.watch(record.id);
          await d.store.addWaiter(record.id, await d.hub.listen(record.model));
          record = (await d.store.get(record.id)) ?? record;
        }
      } else {
        indexed = d.owners.add(s.owner, record.id, createdAt, d.retentionMs);
        // Awaited below; until then its failure must not count as unhandled.
        indexed.catch(() => undefined);
        d.log.debug({ prediction_id: record.id, model: model.name }, 'prediction queued');
      }
      if (watch) {
        d.metrics.waiting.inc();
        try {
          record = await awaitTerminal(record, watch, s.waitMs);
        } finally {
          d.metrics.waiting.dec();
        }
      }
      await indexed;
      if (counted && TERMINAL.has(record.status)) {
        counted = false;
        await limits!.release(key!, record.id);
      }
      return { record, replayed };
    } catch (err) {
      if (counted && !(await d.store.get(created))) await limits!.release(key!, created);
      throw err;
    } finally {
      watch?.dispose();
    }
  }

  return { findModel, findVersion, submit };
}
