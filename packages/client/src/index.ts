// @alto/client: Alto's prediction API from any runtime with fetch. No dependencies.
export { AltoClient, createClient } from './client.ts';
export type { ClientOptions, ListOptions, PredictOptions, PredictionPage, WaitOptions } from './client.ts';
export { API_ERROR_CODES, AltoError, CLIENT_ERROR_CODES } from './errors.ts';
export type { ApiErrorCode, ClientErrorCode, ErrorCode } from './errors.ts';
export { BINARY_CONTENT_TYPE, type TensorInput } from './body.ts';
export { decodePrediction, type OutputObject, type Prediction } from './prediction.ts';
export { isTypedArray, tensor, type ArrayOf, type Tensor, type TypedArray } from './tensor.ts';
export { DATATYPES, PRIORITIES, STATUSES, TERMINAL_STATUSES, WEBHOOK_EVENTS, isTerminal } from './types.ts';
export type {
  Datatype,
  InputTensorJson,
  OutputTensorJson,
  PredictionJson,
  PredictionListJson,
  PredictionRequestJson,
  Priority,
  Status,
  WebhookDeliveryJson,
  WebhookEventName,
} from './types.ts';
export { verifyWebhook, type HeaderSource, type VerifyOptions, type WebhookEvent } from './webhook.ts';
