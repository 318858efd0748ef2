// Every Redis key and channel name Alto uses, built in one place. All keys of a model share
// the `{model}` hash tag, so a model's multi-key scripts stay in one Redis Cluster slot.

import { PRIORITIES, type Priority } from '@alto/protocol';

/** The consumer group every worker of a model reads through. */
export const GROUP = 'workers';

export interface Keys {
  /** The prefix every key and channel starts with: one Alto installation per prefix. */
  prefix: string;
  /**
   * Catalog of served models: hash name → ModelInfo JSON of the version taking unpinned
   * requests. Written by the control plane, read by gateways (so it is built here); it shares
   * the `{control}` hash tag with the control plane's keys (see @alto/control's keys).
   */
  models: string;
  /** Served versions' metadata: hash `<model>@<version>` → ModelInfo JSON. */
  modelVersions: string;
  /**
   * Published models (the publisher's desired state): hash name → ModelSpec JSON. Owned by
   * the control plane; built here because gateways read it to tell a published model not yet
   * served from an unknown one.
   */
  specs: string;
  /** Channel: the catalog changed (gateways drop their caches). */
  catalogChannel: string;
  /**
   * The shared completion channel of earlier versions, where every gateway heard every
   * notice: now used only for predictions accepted before gateways named their own channel
   * (see lua/lib/notify.lua). Gateways still subscribe to it, so waits that straddle an
   * upgrade complete.
   */
  completions: string;
  /**
   * Shard channel (SPUBLISH) of one gateway's completion notices for one model's
   * predictions: under the model's hash tag, so the scripts that end a prediction publish on
   * the shard holding its slot, and only the gateway waiting for it hears the notice.
   */
  notices(model: string, gateway: string): string;
  /**
   * Request stream of one model (unpinned requests) for one priority: `normal` (the
   * default) is `{model}:stream`, the others `{model}:stream:high` and `:low`.
   */
  stream(model: string, priority?: Priority): string;
  /** Request stream of one version of a model (requests that pin it), for one priority. */
  versionStream(model: string, version: string, priority?: Priority): string;
  /** Set while a model is unpublished: enqueueing refuses (string, no TTL). */
  unpublished(model: string): string;
  /** Dead-letter stream of one model: entries delivered too many times. */
  dead(model: string): string;
  /** Hash holding one prediction's state and result. */
  prediction(model: string, id: string): string;
  /** Sorted set of worker ids serving a model, scored by heartbeat expiry (epoch ms). */
  replicas(model: string): string;
  /**
   * One Idempotency-Key of one caller for one model: hash {id, body}, with a TTL. `keyHash`
   * is the sha256 of the header's value, so any printable value makes a well-formed key.
   */
  idempotency(model: string, owner: string, keyHash: string): string;
  /**
   * Sorted set of one caller's predictions (id scored by created_at), for listing. Not under
   * a model's tag: one caller's predictions span models. Written after the enqueue, trimmed
   * to the retention window.
   */
  ownerPredictions(owner: string): string;
  // ---- managed API keys (see api-keys.ts) ----
  /** Managed API keys: hash key id → ApiKeyRecord JSON (secrets only as sha256). Publisher writes, gateways read. */
  apiKeys: string;
  /** One API key's token bucket and last use: hash, under the key's own hash tag. */
  apiKeyBucket(id: string): string;
  /** One API key's outstanding predictions: sorted set of ids, under the key's own hash tag. */
  apiKeyOutstanding(id: string): string;
  /** One API key's usage totals (predictions, compute seconds per model): hash, under the key's own hash tag. */
  apiKeyUsage(id: string): string;
  // ---- webhooks (see outbox.ts) ----
  /** Webhook events of one model's predictions, appended by the scripts that change state. */
  outbox(model: string): string;
  /** Set of the models whose predictions ever asked for a webhook: the outboxes to read. */
  webhookModels: string;
  /** Key prefix of the BullMQ queue that delivers webhook events. */
  webhookQueuePrefix: string;
}

const suffix = (priority: Priority | undefined) =>
  priority === undefined || priority === 'normal' ? '' : `:${priority}`;

export function keys(prefix = 'alto'): Keys {
  const tag = (model: string) => `${prefix}:{${model}}`;
  const control = `${prefix}:{control}`;
  return {
    prefix,
    models: `${control}:models`,
    modelVersions: `${control}:model-versions`,
    specs: `${control}:specs`,
    catalogChannel: `${prefix}:catalog`,
    completions: `${prefix}:completions`,
    notices: (model, gateway) => `${tag(model)}:notices:${gateway}`,
    stream: (model, priority) => `${tag(model)}:stream${suffix(priority)}`,
    versionStream: (model, version, priority) => `${tag(model)}:v:${version}:stream${suffix(priority)}`,
    unpublished: (model) => `${tag(model)}:unpublished`,
    dead: (model) => `${tag(model)}:dead`,
    prediction: (model, id) => `${tag(model)}:p:${id}`,
    replicas: (model) => `${tag(model)}:replicas`,
    idempotency: (model, owner, keyHash) => `${tag(model)}:idem:${owner}:${keyHash}`,
    ownerPredictions: (owner) => `${prefix}:{owner:${owner}}:predictions`,
    apiKeys: `${control}:api-keys`,
    apiKeyBucket: (id) => `${prefix}:{apikey:${id}}:bucket`,
    apiKeyOutstanding: (id) => `${prefix}:{apikey:${id}}:outstanding`,
    apiKeyUsage: (id) => `${prefix}:{apikey:${id}}:usage`,
    outbox: (model) => `${tag(model)}:outbox`,
    webhookModels: `${prefix}:webhook-models`,
    // BullMQ's keys of one queue must share a slot: the hash tag goes in the prefix.
    webhookQueuePrefix: `${prefix}:{bull}`,
  };
}

/**
 * The request streams of one target, one per priority: a model's own streams (unpinned
 * requests) or one version's (requests that pin it). Every place that lists a model's
 * streams — enqueue's queue-length count, the consumer's reads, cancel, fail-queued, the
 * release of a dead worker's entries — builds them here.
 */
export interface ModelStreams {
  model: string;
  /** The pinned version; undefined for the model's own streams. */
  version: string | undefined;
  /** The stream of one priority. */
  of(priority: Priority): string;
  /** All of them, highest priority first. */
  readonly all: readonly string[];
  /** The streams of the other two priorities. */
  others(priority: Priority): [string, string];
}

export function modelStreams(keys: Keys, model: string, version?: string): ModelStreams {
  const of = (q: Priority) => (version === undefined ? keys.stream(model, q) : keys.versionStream(model, version, q));
  return {
    model,
    version,
    of,
    // Built when asked: enqueue, on the hot path, needs only of() and others().
    get all() {
      return PRIORITIES.map(of);
    },
    others: (priority) => {
      const [a, b] = PRIORITIES.filter((q) => q !== priority);
      return [of(a!), of(b!)];
    },
  };
}

/** A SCAN pattern matching the streams of every pinned version of a model, for one priority. */
export const versionStreamsPattern = (keys: Keys, model: string, priority: Priority): string =>
  keys.versionStream(model, '*', priority);
