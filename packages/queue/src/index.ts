export { keys, GROUP, modelStreams, versionStreamsPattern, type Keys, type ModelStreams } from './keys.ts';
export {
  connect,
  connectLike,
  isCluster,
  splitSeeds,
  assertNoEviction,
  isRedisUnavailable,
  asAltoError,
  redactUrl,
  type ConnectOptions,
} from './connection.ts';
export {
  MemoryGauge,
  isOutOfMemory,
  parseMemoryInfo,
  storageFull,
  type MemoryReading,
  type MemoryGaugeOptions,
} from './memory.ts';
export { PredictionStore, ANONYMOUS, type NewPrediction, type Idempotency, type ReplicaWait } from './predictions.ts';
export { StreamConsumer, type Entry, type Outcome, type ConsumerOptions, type Started } from './consumer.ts';
export { RedisModelRegistry, CachedRegistry, type ModelRegistry, type ModelStatus } from './registry.ts';
export {
  CompletionHub,
  type CompletionHubOptions,
  type NoticeChannel,
  type Watch,
  type Signal,
} from './completions.ts';
export { DeadLetters, type DeadLetter } from './dead-letters.ts';
export { Outbox, OUTBOX_GROUP, type OutboxEvent } from './outbox.ts';
export { type NewWebhook } from './webhook-record.ts';
export { OwnerIndex, type ListOptions, type Page } from './owner-index.ts';
export { releasePending } from './release.ts';
export {
  PREDICTION,
  ENTRY,
  DEAD_LETTER,
  OUTBOX_EVENT,
  IDEMPOTENCY,
  ALL_FIELDS,
  API_KEY_USAGE,
  WEBHOOK_STATE_PREFIX,
  webhookStateField,
  entryFields,
} from './fields.ts';
export {
  luaScript,
  defineLuaScripts,
  luaSource,
  luaIncludes,
  numberOfKeys,
  pipelineReply,
  codeOf,
  unexpected,
  exhaustive,
  contractProblems,
  headerSlots,
  type LuaScript,
  type ScriptSpec,
  type LuaArg,
} from './lua-script.ts';
export { QUEUE_SCRIPTS, defineQueueScripts } from './scripts/index.ts';
export {
  REDIS_ROLES,
  aclRules,
  createAclUsers,
  tagsExcept,
  urlWithUser,
  type RedisRole,
  type RedisCredentials,
} from './acl.ts';
export {
  ApiKeyRing,
  admitKey,
  formatSecret,
  keyLastUsed,
  touchKey,
  outstandingIds,
  releaseKey,
  secretKeyId,
  sha256Hex,
  type ApiKeyRecord,
  type ApiKeyRingOptions,
} from './api-keys.ts';
export type { KeyAdmitOutcome } from './scripts/index.ts';
export {
  ANONYMOUS_KEY,
  BOOTSTRAP_KEY,
  UNKNOWN_KEY,
  isManagedKeyId,
  computeShare,
  splitCompute,
  sumUsage,
  addKeyUsage,
  parseKeyUsage,
  readKeyUsage,
  type KeyUsage,
  type UsageDelta,
} from './key-usage.ts';
export type { CompleteOutcome } from './scripts/index.ts';
