// The OpenAPI 3.1 document of the public API, generated from the zod schemas that validate
// requests (schemas.ts) and describe responses (api-schemas.ts). The gateway serves it at
// GET /openapi.json; tests and schemathesis check real responses against it.
import { z } from 'zod';
import {
  DatatypeSchema, ErrorBodySchema, HealthSchema, InputTensorSchema, ModelDescriptionSchema, ModelListSchema,
  OutputTensorSchema, PredictionListSchema, PredictionRequestDocSchema, PredictionSchema, ReadySchema, TensorDataSchema, UnreadySchema,
} from './api-schemas.ts';
import { BINARY_CONTENT_TYPE } from './binary-body.ts';
import { httpStatus, type ErrorCode } from './errors.ts';
import { BatchingSchema, MODEL_NAME, TensorSpecSchema } from './model.ts';
import { STATUSES } from './prediction.ts';

type Json = Record<string, unknown>;
type Registry = z.core.$ZodRegistry<{ id: string }>;

const REF = '#/components/schemas/';
const ref = (id: string) => ({ $ref: `${REF}${id}` });

function registry(entries: Record<string, z.ZodType>): Registry {
  const r: Registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(entries)) r.add(schema, { id });
  return r;
}

/**
 * JSON Schema 2020-12 (OpenAPI 3.1's dialect) for every schema of the registry, referring to
 * each other through #/components/schemas. `io` picks the request side (defaults optional,
 * objects open unless strict) or the response side (everything present, objects closed).
 */
function emit(r: Registry, io: 'input' | 'output'): Record<string, Json> {
  const { schemas } = z.toJSONSchema(r, { target: 'draft-2020-12', io, uri: (id) => `${REF}${id}`, unrepresentable: 'throw' });
  if ('__shared' in schemas) {
    throw new Error('a schema is shared without an id; register it in openapi.ts so it gets a component of its own');
  }
  const out: Record<string, Json> = {};
  for (const [id, s] of Object.entries(schemas)) {
    const { $schema: _s, $id: _i, ...rest } = s as Json;
    out[id] = rest;
  }
  return out;
}

function components(): Record<string, Json> {
  const request = emit(
    registry({
      PredictionRequest: PredictionRequestDocSchema, InputTensor: InputTensorSchema, TensorData: TensorDataSchema,
      Datatype: DatatypeSchema,
    }),
    'input',
  );
  const response = emit(
    registry({
      Prediction: PredictionSchema, PredictionList: PredictionListSchema, OutputTensor: OutputTensorSchema, Error: ErrorBodySchema,
      ModelDescription: ModelDescriptionSchema, ModelList: ModelListSchema, TensorSpec: TensorSpecSchema,
      Batching: BatchingSchema, Health: HealthSchema, Ready: ReadySchema, Unready: UnreadySchema, Datatype: DatatypeSchema,
    }),
    'output',
  );
  for (const [id, schema] of Object.entries(request)) {
    if (id in response && JSON.stringify(response[id]) !== JSON.stringify(schema)) {
      throw new Error(`schema ${id} differs between requests and responses`);
    }
  }
  return { ...request, ...response };
}

export interface OpenApiOptions {
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

const json = (schema: Json) => ({ 'application/json': { schema } });

const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds to wait before trying again.', required: true, schema: { type: 'string', pattern: '^[0-9]+$' } },
};

/**
 * The error responses of an operation, from the codes it can answer with: grouped by their
 * status (httpStatus, the same mapping the gateway renders with), each group's schema the
 * error body narrowed to its codes. 429 and 503 carry Retry-After.
 */
function errors(codes: Partial<Record<ErrorCode, string>>): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of Object.keys(codes) as ErrorCode[]) {
    const status = httpStatus(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, Json> = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: group.map((code) => `\`${code}\`: ${codes[code]}`).join(' '),
      ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
      content: json({
        allOf: [ref('Error'), { type: 'object', properties: { error: { type: 'object', properties: { code: { enum: group } } } } }],
      }),
    };
  }
  return out;
}

/** What every /v1 route can answer with: Redis unreachable, and anything unexpected. */
const COMMON = {
  internal: 'an unexpected failure in the gateway (it is logged).',
  redis_unavailable: 'Redis cannot be reached; answered within a second.',
} as const;

/** What every route of the prediction API can answer with besides COMMON. */
const UNAUTHORIZED = {
  unauthorized: 'ALTO_API_KEYS is set and the `Authorization: Bearer <key>` header is missing or its key is not one of them.',
} as const;

export function openApiDocument(options: OpenApiOptions = {}): Json {
  const maxWait = options.maxWaitSeconds ?? 60;
  const security = options.apiKeys ? { security: [{ bearer: [] }] } : {};
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The id a POST returned.' };
  const limit = options.maxBodyBytes === undefined ? '`ALTO_MAX_BODY_BYTES`' : `${options.maxBodyBytes} bytes`;
  const modelParam = {
    name: 'model', in: 'path', required: true, description: 'Model name, as listed by GET /v1/models.',
    schema: { type: 'string', pattern: MODEL_NAME.source }, example: 'tiny',
  };
  const predictionHeaders = {
    Location: { description: 'The prediction\'s URL: `/v1/predictions/{id}`.', required: true, schema: { type: 'string' } },
    'Preference-Applied': { description: 'The `Prefer: wait=N` that was applied.', schema: { type: 'string' } },
    'Idempotent-Replayed': {
      description: '`true` when the `Idempotency-Key` was seen before: this is the prediction that request created.',
      schema: { type: 'string', enum: ['true'] },
    },
  };
  const prediction = (description: string) => ({ description, headers: predictionHeaders, content: json(ref('Prediction')) });

  const doc = {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Alto inference API',
      version: '1',
      description:
        'Submit predictions to models served by an Alto fleet and poll for them, or hold the request open with ' +
        '`Prefer: wait`. Every error is `{"error": {"code", "message"}}`, the message naming the field with what was ' +
        'expected and what was given. On any path, a request that is not valid HTTP/1.1 or whose Host header is not a ' +
        'host gets 400 `invalid_input`, and an unknown route 404 `not_found`. When the gateway has API keys ' +
        '(ALTO_API_KEYS), the prediction routes take `Authorization: Bearer <key>`, and a prediction is visible to, and ' +
        'cancelable by, only the key that created it (to any other it does not exist: 404).',
    },
    paths: {
      '/v1/models/{model}/predictions': {
        post: {
          operationId: 'createPrediction',
          summary: 'Validate a prediction request against the model and queue it.',
          ...security,
          parameters: [
            modelParam,
            {
              name: 'Prefer', in: 'header', required: false,
              description:
                `RFC 7240. \`wait=N\` holds the response until the prediction is terminal (200) or N seconds pass (202); ` +
                `\`wait\` alone waits the most, ${maxWait} s, and larger N are capped to it. A malformed wait is a 400.`,
              schema: { type: 'string' }, example: 'wait=10',
            },
            {
              name: 'Inference-Header-Content-Length', in: 'header', required: false,
              description:
                `Required with Content-Type ${BINARY_CONTENT_TYPE}: the byte length (decimal digits) of the JSON header that ` +
                'starts the body; ignored with application/json.',
              // A string without constraints: with a JSON body any value is ignored, not refused.
              schema: { type: 'string' }, example: '74',
            },
            {
              name: 'Idempotency-Key', in: 'header', required: false,
              description:
                'Makes retries safe: the same key from the same caller (API key) for the same model within 24 h returns ' +
                'the prediction the first request created (200 or 202 as its status says, with `Idempotent-Replayed: true`) ' +
                'and queues nothing; the same key with a different body (bytes) or version is a 422. 1 to 255 printable ' +
                'ASCII characters.',
              schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7e]+$' },
              example: 'order-1234-attempt',
            },
          ],
          requestBody: {
            required: true,
            description: `At most ${limit}, counted while reading (chunked bodies too).`,
            content: {
              'application/json': {
                schema: ref('PredictionRequest'),
                example: { input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0) } } },
              },
              [BINARY_CONTENT_TYPE]: {
                schema: { type: 'string', contentMediaType: BINARY_CONTENT_TYPE },
                description:
                  "KServe v2's binary tensor extension: the first `Inference-Header-Content-Length` bytes are a " +
                  'PredictionRequest in JSON in which a tensor may give `"binary_data_size": <bytes>` instead of `data` / ' +
                  '`b64`; the raw little-endian row-major bytes of those tensors follow, in the order the inputs appear ' +
                  'in the header, and nothing else.',
              },
            },
          },
          responses: {
            '200': prediction('With `Prefer: wait`: the prediction reached a terminal status in time.'),
            '202': prediction('Queued; poll the Location, or the wait ran out before the prediction finished.'),
            ...errors({
              invalid_input:
                'a tensor or field does not fit the model or the schema, or a malformed `Prefer`, ' +
                '`Inference-Header-Content-Length` or `Idempotency-Key`, or the connection closed before the whole body arrived.',
              invalid_json: 'the body (or the JSON header of a binary body) is not JSON.',
              webhook_refused:
                "`webhook`'s host does not resolve, or resolves only to addresses deliveries are refused for (loopback, " +
                'private, link-local, metadata and other internal ranges) and ALTO_WEBHOOK_ALLOW_CIDRS does not allow; ' +
                'the message says which address and why.',
              model_not_found: 'no such model is published.',
              model_unpublished: 'the model was unpublished a moment ago.',
              model_not_ready: 'the model is published but no replica has loaded it yet; retry shortly.',
              payload_too_large: `the body is over ${limit}.`,
              unsupported_media_type: `Content-Type is neither application/json nor ${BINARY_CONTENT_TYPE}.`,
              queue_full: 'the model has its max_queue_length requests outstanding; retry later.',
              idempotency_key_reused: 'the `Idempotency-Key` was used on this model in the last 24 h for a different body or version.',
              prediction_not_found: 'the prediction an `Idempotency-Key` created has expired while the key was still remembered.',
              ...UNAUTHORIZED,
              ...COMMON,
            }),
          },
          links: {
            getPrediction: { operationId: 'getPrediction', parameters: { id: '$response.body#/id' } },
          },
        },
      },
      '/v1/predictions': {
        get: {
          operationId: 'listPredictions',
          summary: "The caller's predictions (those of its API key), newest first, a page at a time.",
          ...security,
          parameters: [
            { name: 'model', in: 'query', required: false, description: "Only this model's predictions.", schema: { type: 'string', minLength: 1 } },
            { name: 'status', in: 'query', required: false, description: 'Only predictions in this status.', schema: { enum: [...STATUSES] } },
            {
              name: 'limit', in: 'query', required: false, description: 'Most predictions in the page.',
              schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            },
            {
              name: 'cursor', in: 'query', required: false, description: "The previous page's `next_cursor`.",
              schema: { type: 'string', minLength: 1 },
            },
          ],
          responses: {
            '200': { description: 'A page of predictions, kept as long as the predictions are (ALTO_RETENTION_SECONDS).', content: json(ref('PredictionList')) },
            ...errors({
              invalid_input: 'a query parameter is unknown or out of range, or the cursor is not one of this listing.',
              ...UNAUTHORIZED,
              ...COMMON,
            }),
          },
        },
      },
      '/v1/predictions/{id}': {
        get: {
          operationId: 'getPrediction',
          summary: 'A prediction, in its current state.',
          ...security,
          parameters: [idParam],
          responses: {
            '200': { description: 'The prediction.', content: json(ref('Prediction')) },
            ...errors({ prediction_not_found: 'unknown, past retention, or created with another API key.', ...UNAUTHORIZED, ...COMMON }),
          },
        },
      },
      '/v1/predictions/{id}/cancel': {
        post: {
          operationId: 'cancelPrediction',
          summary: 'Cancel a prediction: a queued one never runs, a running one has its result discarded, a finished one is returned unchanged.',
          ...security,
          parameters: [idParam],
          responses: {
            '200': { description: 'The prediction after the call.', content: json(ref('Prediction')) },
            ...errors({ prediction_not_found: 'unknown, past retention, or created with another API key.', ...UNAUTHORIZED, ...COMMON }),
          },
        },
      },
      '/v1/models': {
        get: {
          operationId: 'listModels',
          summary: 'Every served model.',
          responses: { '200': { description: 'The models, by name.', content: json(ref('ModelList')) }, ...errors(COMMON) },
        },
      },
      '/v1/models/{model}': {
        get: {
          operationId: 'getModel',
          summary: 'One model: its inputs, outputs, batching and current replicas and queue depth.',
          parameters: [modelParam],
          responses: {
            '200': { description: 'The model.', content: json(ref('ModelDescription')) },
            ...errors({ model_not_found: 'no such model is published.', ...COMMON }),
          },
        },
      },
      '/healthz': {
        get: {
          operationId: 'healthz',
          summary: 'The gateway process is alive.',
          responses: { '200': { description: 'Alive.', content: json(ref('Health')) } },
        },
      },
      '/readyz': {
        get: {
          operationId: 'readyz',
          summary: 'Redis answers and the model registry is readable.',
          responses: {
            '200': { description: 'Ready; `models` is how many are published.', content: json(ref('Ready')) },
            '503': { description: 'Not ready, and why.', content: json(ref('Unready')) },
          },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'Prometheus metrics of the gateway.',
          responses: {
            '200': { description: 'Prometheus text exposition format 0.0.4.', content: { 'text/plain': { schema: { type: 'string' } } } },
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openapi',
          summary: 'This document.',
          responses: { '200': { description: 'OpenAPI 3.1.', content: json({ type: 'object' }) } },
        },
      },
    },
    components: {
      schemas: components(),
      securitySchemes: {
        bearer: {
          type: 'http', scheme: 'bearer',
          description: 'One of the gateway\'s ALTO_API_KEYS. Required by the prediction routes when keys are set.',
        },
      },
    },
  };
  // The same operation, pinned to one of the versions the model serves.
  const create = doc.paths['/v1/models/{model}/predictions'].post;
  const versioned = {
    ...create,
    operationId: 'createVersionPrediction',
    summary: 'Like createPrediction, for one version of the model (one of the `versions` GET /v1/models lists).',
    parameters: [
      modelParam,
      { name: 'version', in: 'path', required: true, description: 'A version the model serves.', schema: { type: 'string' }, example: '1' },
      ...create.parameters.slice(1),
    ],
    responses: {
      ...create.responses,
      ...errors({
        model_not_found: 'no such model is published.',
        version_not_found: 'the model does not serve this version.',
        model_unpublished: 'the model was unpublished a moment ago.',
        prediction_not_found: 'the prediction an `Idempotency-Key` created has expired while the key was still remembered.',
      }),
    },
  };
  return { ...doc, paths: { ...doc.paths, '/v1/models/{model}/versions/{version}/predictions': { post: versioned } } };
}
