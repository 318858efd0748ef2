// The gateway's routes, declared once: app.ts mounts its handlers on them and /openapi.json
// is generated from them (apiDocument). Parameters are zod schemas the route validates with;
// bodies and responses refer to the components GATEWAY_SCHEMAS names. The prediction body is
// read and checked by the handler itself (JSON or binary, tensors checked once, against the
// model), so its route declares it without a validator.
import {
  BINARY_CONTENT_TYPE,
  GATEWAY_SCHEMAS,
  HealthSchema,
  MODEL_NAME,
  ModelDescriptionSchema,
  ModelListSchema,
  PredictionListSchema,
  PredictionRequestDocSchema,
  PredictionSchema,
  ReadySchema,
  UnreadySchema,
  errorResponses,
  schemaRef,
  type ErrorCode,
} from '@alto/protocol';
import { createRoute, z } from '@hono/zod-openapi';
import { ListQuerySchema } from './listing.ts';

export interface RouteOptions {
  /** ALTO_MAX_BODY_BYTES, quoted in the 413 description. */
  maxBodyBytes?: number;
  /** ALTO_MAX_WAIT_SECONDS, the cap on Prefer: wait. */
  maxWaitSeconds?: number;
  /**
   * Whether the gateway has API keys (ALTO_API_KEYS): the prediction routes then require
   * the bearer scheme. Without keys the document states no requirement, as none applies.
   * @default false
   */
  apiKeys?: boolean;
}

export const INFO = {
  title: 'Alto inference API',
  version: '1',
  description:
    'Submit predictions to models served by an Alto fleet and poll for them, or hold the request open with ' +
    '`Prefer: wait`. Every error is `{"error": {"code", "message"}}`, the message naming the field with what was ' +
    'expected and what was given. On any path, a request that is not valid HTTP/1.1 or whose Host header is not a ' +
    'host gets 400 `invalid_input`, and an unknown route 404 `not_found`. When the gateway has API keys ' +
    '(ALTO_API_KEYS), the prediction routes take `Authorization: Bearer <key>`, and a prediction is visible to, and ' +
    'cancelable by, only the key that created it (to any other it does not exist: 404).',
};

export const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: "One of the gateway's ALTO_API_KEYS. Required by the prediction routes when keys are set.",
  },
};

const ref = (schema: z.ZodType) => schemaRef(GATEWAY_SCHEMAS, schema);
const json = (schema: z.ZodType) => ({ 'application/json': { schema: ref(schema) } });

/** What every /v1 route can answer with: Redis unreachable, and anything unexpected. */
const COMMON = {
  internal: 'an unexpected failure in the gateway (it is logged).',
  redis_unavailable: 'Redis cannot be reached; answered within a second.',
} as const satisfies Partial<Record<ErrorCode, string>>;

/** What every route of the prediction API can answer with besides COMMON. */
const UNAUTHORIZED = {
  unauthorized:
    'ALTO_API_KEYS is set and the `Authorization: Bearer <key>` header is missing or its key is not one of them.',
} as const;

const ModelParams = z.object({
  model: z
    .string()
    .openapi({ description: 'Model name, as listed by GET /v1/models.', pattern: MODEL_NAME.source, example: 'tiny' }),
});
const VersionParams = ModelParams.extend({
  version: z.string().openapi({ description: 'A version the model serves.', example: '1' }),
});
const IdParams = z.object({ id: z.string().openapi({ description: 'The id a POST returned.' }) });

export function gatewayRoutes(o: RouteOptions = {}) {
  const maxWait = o.maxWaitSeconds ?? 60;
  const security = o.apiKeys ? { security: [{ bearer: [] }] } : {};
  const limit = o.maxBodyBytes === undefined ? '`ALTO_MAX_BODY_BYTES`' : `${o.maxBodyBytes} bytes`;

  const predictionHeaders = {
    Location: {
      description: "The prediction's URL: `/v1/predictions/{id}`.",
      required: true,
      schema: { type: 'string' as const },
    },
    'Preference-Applied': {
      description: 'The `Prefer: wait=N` that was applied.',
      schema: { type: 'string' as const },
    },
    'Idempotent-Replayed': {
      description: '`true` when the `Idempotency-Key` was seen before: this is the prediction that request created.',
      schema: { type: 'string' as const, enum: ['true'] },
    },
  };
  const links = { getPrediction: { operationId: 'getPrediction', parameters: { id: '$response.body#/id' } } };
  const prediction = (description: string) => ({
    description,
    headers: predictionHeaders,
    links,
    content: json(PredictionSchema),
  });
  // Headers the handler parses itself (their messages name the header): documented here.
  const predictionHeaderParams = [
    {
      name: 'Prefer',
      in: 'header' as const,
      required: false,
      description:
        `RFC 7240. \`wait=N\` holds the response until the prediction is terminal (200) or N seconds pass (202); ` +
        `\`wait\` alone waits the most, ${maxWait} s, and larger N are capped to it. A malformed wait is a 400.`,
      schema: { type: 'string' as const },
      example: 'wait=10',
    },
    {
      name: 'Inference-Header-Content-Length',
      in: 'header' as const,
      required: false,
      description:
        `Required with Content-Type ${BINARY_CONTENT_TYPE}: the byte length (decimal digits) of the JSON header that ` +
        'starts the body; ignored with application/json.',
      // A string without constraints: with a JSON body any value is ignored, not refused.
      schema: { type: 'string' as const },
      example: '74',
    },
    {
      name: 'Idempotency-Key',
      in: 'header' as const,
      required: false,
      description:
        'Makes retries safe: the same key from the same caller (API key) for the same model within 24 h returns ' +
        'the prediction the first request created (200 or 202 as its status says, with `Idempotent-Replayed: true`) ' +
        'and queues nothing; the same key with a different body (bytes) or version is a 422. 1 to 255 printable ' +
        'ASCII characters.',
      schema: { type: 'string' as const, minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7e]+$' },
      example: 'order-1234-attempt',
    },
  ];
  const predictionBody = {
    required: true,
    description: `At most ${limit}, counted while reading (chunked bodies too).`,
    content: {
      'application/json': {
        schema: ref(PredictionRequestDocSchema),
        example: { input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0) } } },
      },
      [BINARY_CONTENT_TYPE]: {
        schema: { type: 'string' as const, contentMediaType: BINARY_CONTENT_TYPE },
        description:
          "KServe v2's binary tensor extension: the first `Inference-Header-Content-Length` bytes are a " +
          'PredictionRequest in JSON in which a tensor may give `"binary_data_size": <bytes>` instead of `data` / ' +
          '`b64`; the raw little-endian row-major bytes of those tensors follow, in the order the inputs appear ' +
          'in the header, and nothing else.',
      },
    },
  };
  const createErrors = {
    invalid_input:
      'a tensor or field does not fit the model or the schema, or a malformed `Prefer`, ' +
      '`Inference-Header-Content-Length` or `Idempotency-Key`, or the connection closed before the whole body arrived.',
    invalid_json: 'the body (or the JSON header of a binary body) is not JSON.',
    webhook_refused:
      "`webhook`'s host does not resolve, or resolves only to addresses deliveries are refused for (loopback, " +
      'private, link-local, metadata and other internal ranges) and ALTO_WEBHOOK_ALLOW_CIDRS does not allow; ' +
      'the message says which address and why.',
    uri_not_allowed: "an input's `uri` or the `output_uri` is not under the gateway's ALTO_PAYLOAD_ROOTS.",
    model_not_found: 'no such model is published.',
    model_unpublished: 'the model was unpublished a moment ago.',
    model_not_ready: 'the model is published but no replica has loaded it yet; retry shortly.',
    payload_too_large: `the body is over ${limit}.`,
    unsupported_media_type: `Content-Type is none of application/json, application/msgpack and ${BINARY_CONTENT_TYPE}.`,
    queue_full: 'the model has its max_queue_length requests outstanding; retry later.',
    storage_full:
      "Redis memory is past the gateway's high-water mark (ALTO_REDIS_MEMORY_HIGH_WATER) or full; retry later.",
    idempotency_key_reused:
      'the `Idempotency-Key` was used on this model in the last 24 h for a different body or version.',
    prediction_not_found: 'the prediction an `Idempotency-Key` created has expired while the key was still remembered.',
    ...UNAUTHORIZED,
    ...COMMON,
  };
  const createResponses = {
    '200': prediction('With `Prefer: wait`: the prediction reached a terminal status in time.'),
    '202': prediction('Queued; poll the Location, or the wait ran out before the prediction finished.'),
  };
  const notFoundPrediction = {
    prediction_not_found: 'unknown, past retention, or created with another API key.',
    ...UNAUTHORIZED,
    ...COMMON,
  };

  return {
    createPrediction: createRoute({
      method: 'post',
      path: '/v1/models/{model}/predictions',
      operationId: 'createPrediction',
      summary: 'Validate a prediction request against the model and queue it.',
      ...security,
      parameters: predictionHeaderParams,
      request: { params: ModelParams, body: predictionBody },
      responses: { ...createResponses, ...errorResponses(createErrors) },
    }),
    createVersionPrediction: createRoute({
      method: 'post',
      path: '/v1/models/{model}/versions/{version}/predictions',
      operationId: 'createVersionPrediction',
      summary: 'Like createPrediction, for one version of the model (one of the `versions` GET /v1/models lists).',
      ...security,
      parameters: predictionHeaderParams,
      request: { params: VersionParams, body: predictionBody },
      responses: {
        ...createResponses,
        ...errorResponses({ ...createErrors, version_not_found: 'the model does not serve this version.' }),
      },
    }),
    listPredictions: createRoute({
      method: 'get',
      path: '/v1/predictions',
      operationId: 'listPredictions',
      summary: "The caller's predictions (those of its API key), newest first, a page at a time.",
      ...security,
      request: { query: ListQuerySchema },
      responses: {
        '200': {
          description: 'A page of predictions, kept as long as the predictions are (ALTO_RETENTION_SECONDS).',
          content: json(PredictionListSchema),
        },
        ...errorResponses({
          invalid_input: 'a query parameter is unknown or out of range, or the cursor is not one of this listing.',
          ...UNAUTHORIZED,
          ...COMMON,
        }),
      },
    }),
    getPrediction: createRoute({
      method: 'get',
      path: '/v1/predictions/{id}',
      operationId: 'getPrediction',
      summary: 'A prediction, in its current state.',
      ...security,
      request: { params: IdParams },
      responses: {
        '200': { description: 'The prediction.', content: json(PredictionSchema) },
        ...errorResponses(notFoundPrediction),
      },
    }),
    cancelPrediction: createRoute({
      method: 'post',
      path: '/v1/predictions/{id}/cancel',
      operationId: 'cancelPrediction',
      summary:
        'Cancel a prediction: a queued one never runs, a running one has its result discarded, a finished one is returned unchanged.',
      ...security,
      request: { params: IdParams },
      responses: {
        '200': { description: 'The prediction after the call.', content: json(PredictionSchema) },
        ...errorResponses(notFoundPrediction),
      },
    }),
    listModels: createRoute({
      method: 'get',
      path: '/v1/models',
      operationId: 'listModels',
      summary: 'Every served model.',
      responses: {
        '200': { description: 'The models, by name.', content: json(ModelListSchema) },
        ...errorResponses(COMMON),
      },
    }),
    getModel: createRoute({
      method: 'get',
      path: '/v1/models/{model}',
      operationId: 'getModel',
      summary: 'One model: its inputs, outputs, batching and current replicas and queue depth.',
      request: { params: ModelParams },
      responses: {
        '200': { description: 'The model.', content: json(ModelDescriptionSchema) },
        ...errorResponses({ model_not_found: 'no such model is published.', ...COMMON }),
      },
    }),
    healthz: createRoute({
      method: 'get',
      path: '/healthz',
      operationId: 'healthz',
      summary: 'The gateway process is alive.',
      responses: { '200': { description: 'Alive.', content: json(HealthSchema) } },
    }),
    readyz: createRoute({
      method: 'get',
      path: '/readyz',
      operationId: 'readyz',
      summary: 'Redis answers and the model registry is readable.',
      responses: {
        '200': { description: 'Ready; `models` is how many are published.', content: json(ReadySchema) },
        '503': { description: 'Not ready, and why.', content: json(UnreadySchema) },
      },
    }),
    metrics: createRoute({
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics of the gateway.',
      responses: {
        '200': {
          description: 'Prometheus text exposition format 0.0.4.',
          content: { 'text/plain': { schema: { type: 'string' as const } } },
        },
      },
    }),
    openapi: createRoute({
      method: 'get',
      path: '/openapi.json',
      operationId: 'openapi',
      summary: 'This document.',
      responses: {
        '200': {
          description: 'OpenAPI 3.1.',
          content: { 'application/json': { schema: { type: 'object' as const } } },
        },
      },
    }),
  };
}
