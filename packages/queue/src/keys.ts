// Every Redis key and channel name Alto uses, built in one place. All keys of a model share
// the `{model}` hash tag, so a model's multi-key scripts stay in one Redis Cluster slot.

/** The consumer group every worker of a model reads through. */
export const GROUP = 'workers';

export interface Keys {
  /** Catalog of served models: hash name → ModelInfo JSON. Not model-scoped. */
  models: string;
  /** Channel carrying the id of each prediction that became terminal. */
  completions: string;
  /** Request stream of one model. */
  stream(model: string): string;
  /** Dead-letter stream of one model: entries delivered too many times. */
  dead(model: string): string;
  /** Hash holding one prediction's state and result. */
  prediction(model: string, id: string): string;
  /** Sorted set of worker ids serving a model, scored by heartbeat expiry (epoch ms). */
  replicas(model: string): string;
  // ---- webhooks (see outbox.ts) ----
  /** Webhook events of one model's predictions, appended by the scripts that change state. */
  outbox(model: string): string;
  /** Set of the models whose predictions ever asked for a webhook: the outboxes to read. */
  webhookModels: string;
  /** Key prefix of the BullMQ queue that delivers webhook events. */
  webhookQueuePrefix: string;
}

export function keys(prefix = 'alto'): Keys {
  const tag = (model: string) => `${prefix}:{${model}}`;
  return {
    models: `${prefix}:models`,
    completions: `${prefix}:completions`,
    stream: (model) => `${tag(model)}:stream`,
    dead: (model) => `${tag(model)}:dead`,
    prediction: (model, id) => `${tag(model)}:p:${id}`,
    replicas: (model) => `${tag(model)}:replicas`,
    outbox: (model) => `${tag(model)}:outbox`,
    webhookModels: `${prefix}:webhook-models`,
    // BullMQ's keys of one queue must share a slot: the hash tag goes in the prefix.
    webhookQueuePrefix: `${prefix}:{bull}`,
  };
}
