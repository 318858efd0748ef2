export { batchKeys, type BatchKeys } from './keys.ts';
export {
  BATCH_STATUSES,
  batchEventPayload,
  isBatchId,
  parseBatch,
  renderBatch,
  shardUri,
  type Batch,
  type BatchStatus,
  type PendingEntry,
  type RenderedBatch,
  type ResultLine,
  type SealedShard,
} from './batch.ts';
export { BatchStore, newBatchId, type NewBatch } from './store.ts';
export { BATCH_SCRIPTS, VERSION as BATCH_SCRIPTS_VERSION } from './scripts.ts';
export { resultLine } from './results.ts';
export { BatchRunner, type BatchFeed, type BatchMetrics, type BatchRunnerOptions, type FailStep } from './runner.ts';
export { allowedPayloadUri, objectExists, readLines, writeObject, type ObjectOptions } from './objects.ts';
export {
  BatchCreateSchema,
  BatchSchema,
  BatchListSchema,
  type BatchCreate,
  type BatchCreateJson,
  type BatchJson,
} from './schemas.ts';
