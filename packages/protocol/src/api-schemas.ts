// Zod schemas of what the public API sends and accepts beyond PredictionRequestSchema: the
// request tensor (checked by hand in tensor.ts, for messages that name the input), the
// prediction object, the error body, model descriptions and the health replies: the
// components of the OpenAPI document the gateway serves at /openapi.json.
import { z } from 'zod';
import { DATATYPES } from './datatypes.ts';
import { ERROR_CODES, OUTCOME_CODES } from './errors.ts';
import { BatchingSchema, ModelInfoSchema, TensorSpecSchema } from './model.ts';
import { STATUSES } from './prediction.ts';
import { PredictionRequestSchema } from './schemas.ts';
import type { SchemaSet } from './openapi.ts';
import { WebhooksSchema } from './webhook.ts';

export const DatatypeSchema = z.enum(DATATYPES).describe('KServe v2 datatype name.');

const requestShape = z
  .array(z.number().int().min(0))
  .describe("Every dimension's actual size (no -1); the product is the element count.");

type Nested = number | boolean | Nested[];
/** Tensor `data`: numbers (booleans for BOOL), flat or nested row-major. */
export const TensorDataSchema: z.ZodType<Nested[]> = z
  .array(z.lazy(() => z.union([z.number(), z.boolean(), TensorDataSchema])))
  .describe(
    'Row-major values, flat or nested to the shape. Numbers; true/false for BOOL; integers within the ' +
      "datatype's range (within ±2^53 for 64-bit types).",
  );

/** A request tensor, as validateInputs reads it: exactly one of `data` and `b64`. */
export const InputTensorSchema = z
  .xor([
    z.object({ datatype: DatatypeSchema, shape: requestShape, data: TensorDataSchema }),
    z.object({
      datatype: DatatypeSchema,
      shape: requestShape,
      b64: z.string().describe('Base64 (standard or URL-safe alphabet, padded) of the little-endian row-major bytes.'),
    }),
    z.object({
      uri: z
        .string()
        .describe(
          'An object under ALTO_PAYLOAD_ROOTS (gs://bucket/name or file:///path) holding the tensor: a .npy, or ' +
            'raw little-endian row-major bytes (then `shape` is required). See docs/payloads.md.',
        ),
      datatype: DatatypeSchema.optional(),
      shape: requestShape.optional(),
    }),
  ])
  .describe(
    "A tensor. The model decides which inputs exist, each one's datatype, rank, static dims and the most " +
      'rows in dim 0 (max_batch_size); GET /v1/models/{model} lists them.',
  );

/** The JSON request body as documented: PredictionRequestSchema with its tensors spelled out. */
export const PredictionRequestDocSchema = PredictionRequestSchema.extend({
  input: z.record(z.string(), InputTensorSchema).describe('Input name → tensor; every input of the model, no others.'),
  response_format: PredictionRequestSchema.shape.response_format.describe(
    'How output tensors are rendered: flat `data`, or `b64` of their bytes.',
  ),
  output_uri: PredictionRequestSchema.shape.output_uri.describe(
    'A folder under ALTO_PAYLOAD_ROOTS: each output is written there as `<prediction id>/<output name>.npy` ' +
      'and returned as its `uri` (docs/payloads.md).',
  ),
  priority: PredictionRequestSchema.shape.priority.describe(
    'Workers fill each batch from `high` first, then `normal`, then `low`; every ALTO_PRIORITY_LOW_EVERY-th read ' +
      'takes the lowest first, so `low` is never starved.',
  ),
});

const responseShape = z.array(z.number().int().min(0));

export const OutputTensorSchema = z
  .union([
    z.object({
      datatype: DatatypeSchema,
      shape: responseShape,
      data: z
        .array(z.union([z.number(), z.boolean(), z.null()]))
        .describe(
          'Flat row-major values; null stands for NaN or ±Infinity, which JSON cannot express (ask for b64 to get them).',
        ),
    }),
    z.object({
      datatype: DatatypeSchema,
      shape: responseShape,
      b64: z.string().describe('Base64 of the little-endian row-major bytes.'),
    }),
    z.object({
      datatype: DatatypeSchema,
      shape: responseShape,
      uri: z.string().describe('The .npy object the worker wrote it to (output_uri, or a large output).'),
    }),
  ])
  .describe('An output tensor: `data` for response_format json, `b64` for b64, `uri` when written to an object.');

const timestamp = z.iso.datetime();

export const PredictionSchema = z.object({
  id: z.string().describe('`<model>.<ulid>`'),
  model: z.string(),
  version: z.string().describe('Model version that was current when the prediction was queued.'),
  status: z.enum(STATUSES),
  output: z.record(z.string(), OutputTensorSchema).nullable().describe('Output name → tensor, once succeeded.'),
  error: z
    .object({ code: z.string(), message: z.string() })
    .nullable()
    .describe(`Why the prediction failed or expired, else null; code is one of ${OUTCOME_CODES.join(', ')}.`),
  created_at: timestamp,
  started_at: timestamp.nullable(),
  completed_at: timestamp.nullable(),
  metrics: z.object({
    queue_ms: z.number().nullable().describe('Time from queued to started.'),
    predict_ms: z.number().nullable().describe('Time of the batched inference that computed it.'),
    batch_size: z.number().int().nullable().describe('Rows in that inference.'),
  }),
  urls: z.object({ get: z.string(), cancel: z.string() }),
  webhooks: WebhooksSchema,
  trace_id: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .nullable()
    .describe(
      'The OpenTelemetry trace of this prediction (that of the `traceparent` it was submitted with, ' +
        'or the one the gateway started); null when not traced.',
    ),
});

export const PredictionListSchema = z.object({
  predictions: z.array(PredictionSchema).describe("The caller's predictions, newest first."),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
});

export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string().describe('Names the field, with what was expected and what was given.'),
  }),
});

export const ModelDescriptionSchema = ModelInfoSchema.extend({
  inputs: z.array(TensorSpecSchema).describe('-1 marks a dynamic dimension.'),
  outputs: z.array(TensorSpecSchema),
  batching: BatchingSchema,
  ready_replicas: z.number().int().min(0).describe('Workers with a live heartbeat for the model.'),
  queue_depth: z.number().int().min(0).describe('Requests accepted and not yet finished.'),
});

export const ModelListSchema = z.object({ models: z.array(ModelDescriptionSchema) });

export const HealthSchema = z.object({ status: z.literal('ok') });
export const ReadySchema = z.object({ status: z.literal('ready'), models: z.number().int().min(0) });
export const UnreadySchema = z.object({ status: z.literal('unavailable'), reason: z.string() });

export type PredictionList = z.infer<typeof PredictionListSchema>;
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
export type ModelDescription = z.infer<typeof ModelDescriptionSchema>;

/** The named schemas of the gateway's API: the components of /openapi.json. */
export const GATEWAY_SCHEMAS: SchemaSet = {
  input: {
    PredictionRequest: PredictionRequestDocSchema,
    InputTensor: InputTensorSchema,
    TensorData: TensorDataSchema,
    Datatype: DatatypeSchema,
  },
  output: {
    Prediction: PredictionSchema,
    PredictionList: PredictionListSchema,
    OutputTensor: OutputTensorSchema,
    Error: ErrorBodySchema,
    ModelDescription: ModelDescriptionSchema,
    ModelList: ModelListSchema,
    TensorSpec: TensorSpecSchema,
    Batching: BatchingSchema,
    Health: HealthSchema,
    Ready: ReadySchema,
    Unready: UnreadySchema,
    Datatype: DatatypeSchema,
  },
};
