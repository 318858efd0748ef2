export {
  AltoError,
  ERROR_CODES,
  OUTCOME_CODES,
  PredictionFailure,
  httpStatus,
  invalidInput,
  isOutcomeCode,
  type ErrorCode,
  type OutcomeCode,
} from './errors.ts';
export {
  asResponseError,
  errorHeaders,
  errorJson,
  errorModel,
  errorResponse,
  type ErrorLog,
  type ErrorModelOptions,
} from './http-errors.ts';
export {
  DATATYPES,
  DATATYPE_INFO,
  UnsupportedDatatypeError,
  datatypeOfOrt,
  isDatatype,
  type Datatype,
  type OrtType,
} from './datatypes.ts';
export {
  decodeTensor,
  elementCount,
  hasTextValues,
  fmtShape,
  readEnvelope,
  tensorToJson,
  tensorValues,
  type BytesOptions,
  type ResponseFormat,
  type Tensor,
  type TensorJson,
} from './tensor.ts';
export { encodeTensors, decodeTensors, type TensorMap } from './tensor-codec.ts';
export {
  ModelInfoSchema,
  TensorSpecSchema,
  BatchingSchema,
  MODEL_NAME,
  VERSION_NAME,
  VERSION_NAME_RULE,
  DEFAULT_MAX_QUEUE_LENGTH,
  type ModelInfo,
  type TensorSpec,
  type Batching,
} from './model.ts';
export { ModelConfigSchema, PipelineSchema, type ModelConfig, type PipelineConfig } from './model-config.ts';
export { validateInputs, unsplittable, type ValidatedInput, type ValidateOptions } from './validate.ts';
export {
  DEFAULT_BYTES_LIMITS,
  bytesElements,
  bytesOffsets,
  bytesStrings,
  checkBytes,
  encodeBytes,
  isUtf8,
  type BytesLimits,
} from './bytes.ts';
export { newPredictionId, modelOfPrediction, ulid } from './ids.ts';
export {
  renderPrediction,
  STATUSES,
  TERMINAL,
  type Prediction,
  type PredictionRecord,
  type Status,
} from './prediction.ts';
export { PredictionRequestSchema, type PredictionRequest } from './schemas.ts';
export { toHalf, fromHalf } from './fp16.ts';
export { attachBytes, parseBinaryBody, BINARY_CONTENT_TYPE, HEADER_LENGTH_HEADER } from './binary-body.ts';
export {
  DatatypeSchema,
  ErrorBodySchema,
  GATEWAY_SCHEMAS,
  HealthSchema,
  InputTensorSchema,
  ModelDescriptionSchema,
  ModelListSchema,
  OutputTensorSchema,
  PredictionListSchema,
  PredictionRequestDocSchema,
  PredictionSchema,
  ReadySchema,
  TensorDataSchema,
  UnreadySchema,
  type ErrorBody,
  type ModelDescription,
  type PredictionList,
} from './api-schemas.ts';
export {
  RETRY_AFTER,
  apiDocument,
  componentSchemas,
  errorResponses,
  mount,
  openApiApp,
  schemaRef,
  serveDocument,
  type DocumentConfig,
  type Refusal,
  type SchemaSet,
} from './openapi.ts';
export {
  DEFAULT_WEBHOOK_EVENTS,
  DELIVERY_STATES,
  EVENT_TYPES,
  WEBHOOK_EVENTS,
  WebhooksSchema,
  WebhookUrlSchema,
  parseDeliveryState,
  renderWebhooks,
  webhookId,
  type DeliveryState,
  type DeliveryStateName,
  type EventType,
  type RenderedWebhooks,
  type WebhookEvent,
  type WebhookRecord,
} from './webhook.ts';
export { PRIORITIES, type Priority } from './priority.ts';
/** Where a decoded body attaches a tensor's raw bytes (a binary or msgpack body) for decodeTensor. */
export { RAW as RAW_TENSOR } from './binary-body.ts';
export { parseJsonBody } from './json-body.ts';
export {
  OUTPUT_URI_ENTRY,
  isNpyUri,
  isReferenceValue,
  readReference,
  sameShape,
  splitOutputUri,
  withOutputUri,
  type EntryTensors,
  type TensorRef,
} from './tensor-ref.ts';
