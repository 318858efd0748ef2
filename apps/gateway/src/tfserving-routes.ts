// TF Serving's `POST /v1/models/{m}[/versions/{v}]:predict` on the gateway: the body is
// translated (tfserving.ts) into Alto's request and goes through the same validation, enqueue
// and wait as POST /v1/models/{m}/predictions; the answer is TF Serving's, synchronous, and so
// are its errors: `{"error": "<message>"}`. TF Serving's model status and metadata endpoints
// are not emulated (GET /v1/models/{m} is Alto's own).
import { TERMINAL } from '@alto/protocol';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context, ErrorHandler } from 'hono';
import { parseJson, readBody } from './body.ts';
import { syncWait } from './prefer.ts';
import type { Predict, PredictVia } from './predict-via.ts';
import { failureOf, fromTfRequest, toTfResponse, type TfFormat } from './tfserving.ts';

export interface TfServingOptions {
  predict: Predict;
  maxBodyBytes: number;
  maxWaitSeconds: number;
  /** Whether the gateway has API keys: the document then states the bearer requirement. */
  apiKeys: boolean;
  /** The gateway's error model: its status, headers and message, re-worded as TF Serving's body. */
  errors: { onError: ErrorHandler };
}

const SUFFIX = ':predict';

/** TF Serving's error body, with the status and headers (Retry-After, WWW-Authenticate) Alto's has. */
async function tfError(c: Context, err: unknown, errors: { onError: ErrorHandler }): Promise<Response> {
  const alto = await errors.onError(err as Error, c);
  const body = (await alto.json()) as { error: { message: string } };
  const headers: Record<string, string> = {};
  for (const name of ['retry-after', 'www-authenticate']) {
    const value = alto.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return c.json({ error: body.error.message }, alto.status as 400, headers);
}

function tfVia(o: TfServingOptions): PredictVia {
  let format: TfFormat = 'row';
  return {
    // Synchronous: wait the most unless Prefer: wait=N asks for less (a Prefer without wait changes nothing).
    wait: (c) => {
      return syncWait(c.req.header('prefer'), o.maxWaitSeconds);
    },
    read: async (c, model) => {
      // Content-Type is not checked: TF Serving reads JSON whatever it says (`curl -d` sends form encoding).
      const raw = await readBody(c, o.maxBodyBytes);
      const body = parseJson(raw);
      const request = fromTfRequest(model, body);
      format = request.format;
      return { json: request.body, raw };
    },
    answer: (c, record, headers) => {
      if (record.status === 'succeeded' && record.output)
        return c.json(toTfResponse(format, record.output), 200, headers);
      if (TERMINAL.has(record.status)) {
        const { status, message } = failureOf(record);
        return c.json({ error: message }, status as 500, headers);
      }
      const waited = headers['preference-applied'] ?? 'wait=0';
      return c.json(
        {
          error:
            `prediction '${record.id}' is still ${record.status} after ${waited.slice(5)} s; it was not dropped: ` +
            `GET ${headers.location} for its result`,
        },
        504,
        headers,
      );
    },
  };
}

/** `{m}:predict` (or `{v}:predict`) → `{m}` (`{v}`). */
const strip = (target: string) => target.slice(0, -SUFFIX.length);

export function mountTfServing(app: OpenAPIHono, o: TfServingOptions): void {
  const handle = (c: Context, name: string, version: string | undefined) =>
    o.predict(c, tfVia(o), name, version).catch((err: unknown) => tfError(c, err, o.errors));
  // Hono reads `{model}:predict` as one parameter named `model:predict`: the routes match the
  // whole segment and strip the suffix. Model and version names cannot contain ':'.
  app.post('/v1/models/:model{[^/]+:predict}', (c) => handle(c, strip(c.req.param('model')), undefined));
  app.post('/v1/models/:model/versions/:version{[^/]+:predict}', (c) =>
    handle(c, c.req.param('model'), strip(c.req.param('version'))),
  );
  for (const route of Object.values(tfServingRoutes(o.maxWaitSeconds, o.apiKeys)))
    app.openAPIRegistry.registerPath(route);
}

// ---- The OpenAPI side: what the two routes accept and answer. ----

const ModelParams = z.object({
  model: z.string().openapi({ description: 'Model name, as listed by GET /v1/models.', example: 'tiny' }),
});
const VersionParams = ModelParams.extend({
  version: z.string().openapi({ description: 'A version the model serves.', example: '1' }),
});

const anyValue = {
  description:
    'A value or a (nested) list; `{"b64": "..."}` stands for raw little-endian bytes (see docs/protocols.md).',
};
const RequestSchema = {
  type: 'object' as const,
  description: "TF Serving's predict request: exactly one of `instances` (row format) and `inputs` (columnar format).",
  properties: {
    signature_name: { type: 'string' as const, enum: ['serving_default'] },
    instances: {
      type: 'array' as const,
      minItems: 1,
      description: 'One entry per row: a value (models with one input) or an object of named inputs.',
    },
    inputs: {
      ...anyValue,
      description: `Every input at once: a value (models with one input) or an object of named inputs. ${anyValue.description}`,
    },
  },
  additionalProperties: false,
  oneOf: [{ required: ['instances'] }, { required: ['inputs'] }],
};
const RowResponse = {
  type: 'object' as const,
  required: ['predictions'],
  properties: { predictions: { type: 'array' as const, description: 'Row format: one entry per row.' } },
  additionalProperties: false,
};
const ColumnarResponse = {
  type: 'object' as const,
  required: ['outputs'],
  properties: { outputs: { description: 'Columnar format: the one output, or an object of named outputs.' } },
  additionalProperties: false,
};
const ResponseSchema = { type: 'object' as const, oneOf: [RowResponse, ColumnarResponse] };
const ErrorSchema = {
  type: 'object' as const,
  required: ['error'],
  properties: { error: { type: 'string' as const } },
  additionalProperties: false,
};

const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    required: true,
    schema: { type: 'string' as const, pattern: '^[0-9]+$' },
  },
};

/** The statuses a :predict answers with, as Alto's codes map to them (httpStatus), plus TF's own 500 and 504. */
const ERRORS: Record<string, { why: string }> = {
  '400': {
    why:
      'the body is not JSON, is not a predict request, or a tensor does not fit the model (the message names it); ' +
      'a malformed `Prefer` or `Idempotency-Key`.',
  },
  '401': { why: 'ALTO_API_KEYS is set and the bearer key is missing or unknown.' },
  '404': { why: 'no such model or version is published (or it was unpublished before the prediction ran).' },
  '413': { why: 'the body is over ALTO_MAX_BODY_BYTES.' },
  '422': { why: 'the `Idempotency-Key` was used on this model in the last 24 h for a different body or version.' },
  '429': { why: 'the model has its max_queue_length requests outstanding; retry later.' },
  '500': { why: 'the model failed on the request, or an unexpected failure in the gateway.' },
  '503': {
    why: 'the model has no replica loaded yet, Redis is unreachable or past its memory high-water mark; retry later.',
  },
  '504': {
    why:
      'the prediction did not finish within the wait (ALTO_MAX_WAIT_SECONDS, or a shorter `Prefer: wait=N`) or ' +
      'its deadline; a prediction still running is not dropped: GET /v1/predictions/{id} (the message names it) ' +
      'has its result.',
  },
};

function tfServingRoutes(maxWait: number, apiKeys: boolean) {
  const security = apiKeys ? { security: [{ bearer: [] }] } : {};
  const parameters = [
    {
      name: 'Prefer',
      in: 'header' as const,
      required: false,
      description: `\`wait=N\` answers after at most N seconds (504 if not done); without it the wait is ${maxWait} s.`,
      schema: { type: 'string' as const },
    },
    {
      name: 'Idempotency-Key',
      in: 'header' as const,
      required: false,
      description: 'As on createPrediction.',
      schema: { type: 'string' as const, minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7e]+$' },
    },
  ];
  const body = {
    required: true,
    description: 'Read as JSON whatever its Content-Type says, as TF Serving does.',
    content: { 'application/json': { schema: RequestSchema, example: { instances: [new Array(64).fill(0)] } } },
  };
  const responses = {
    '200': {
      description: '`predictions` for a row-format request, `outputs` for a columnar one.',
      content: { 'application/json': { schema: ResponseSchema } },
    },
    ...Object.fromEntries(
      Object.entries(ERRORS).map(([status, e]) => [
        status,
        {
          description: e.why,
          ...(status === '429' || status === '503' ? { headers: RETRY_AFTER } : {}),
          content: { 'application/json': { schema: ErrorSchema } },
        },
      ]),
    ),
  };
  return {
    predict: createRoute({
      method: 'post',
      path: '/v1/models/{model}:predict',
      operationId: 'tfServingPredict',
      summary: "TF Serving's REST predict: row (`instances`) or columnar (`inputs`) format, answered when done.",
      ...security,
      parameters,
      request: { params: ModelParams, body },
      responses,
    }),
    predictVersion: createRoute({
      method: 'post',
      path: '/v1/models/{model}/versions/{version}:predict',
      operationId: 'tfServingPredictVersion',
      summary: 'Like tfServingPredict, for one version of the model.',
      ...security,
      parameters,
      request: { params: VersionParams, body },
      responses,
    }),
  };
}
