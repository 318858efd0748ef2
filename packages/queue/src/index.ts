export { keys, GROUP, type Keys } from './keys.ts';
export { connect, assertNoEviction, isRedisUnavailable, asAltoError, redactUrl, type ConnectOptions } from './connection.ts';
export { PredictionStore, type NewPrediction } from './predictions.ts';
export { StreamConsumer, type Entry, type Outcome, type ConsumerOptions, type Started } from './consumer.ts';
export { RedisModelRegistry, CachedRegistry, type ModelRegistry, type ModelStatus } from './registry.ts';
export { CompletionHub, type Watch, type Signal } from './completions.ts';
export { DeadLetters, type DeadLetter } from './dead-letters.ts';
export { Outbox, OUTBOX_GROUP, type OutboxEvent } from './outbox.ts';
export { type NewWebhook } from './webhook-record.ts';
