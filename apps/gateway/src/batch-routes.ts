// The batch jobs API (docs/batches.md): routes declared with their schemas (components of
// /openapi.json) and their handlers. A batch is visible to, and cancelable by, only the API
// key that created it; the feeding itself is the BatchRunner's (server.ts).
import {
  BatchCreateSchema,
  BatchListSchema,
  BatchSchema,
  allowedPayloadUri,
  objectExists,
  renderBatch,
  type Batch,
  type BatchStore,
  type ObjectOptions,
} from '@alto/batches';
import {
  AltoError,
  GATEWAY_SCHEMAS,
  errorResponses,
  mount,
  schemaRef,
  type PredictionRequest,
  type SchemaSet,
} from '@alto/protocol';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Auth } from './auth.ts';
import type { WebhookGate } from './webhook.ts';
import type { KeyLimits } from './key-limits.ts';
import type { Predictions } from './submit.ts';

/** The gateway's document components with the batch API's. */
export const BATCH_GATEWAY_SCHEMAS: SchemaSet = {
  input: { ...GATEWAY_SCHEMAS.input, BatchCreate: BatchCreateSchema },
  output: { ...GATEWAY_SCHEMAS.output, Batch: BatchSchema, BatchList: BatchListSchema },
};

const ref = (schema: z.ZodType) => schemaRef(BATCH_GATEWAY_SCHEMAS, schema);
const json = (schema: z.ZodType) => ({ 'application/json': { schema: ref(schema) } });

const COMMON = {
  unauthorized:
    'ALTO_API_KEYS is set (or managed keys are on) and `Authorization: Bearer <key>` is missing or not a valid key.',
  internal: 'an unexpected failure in the gateway (it is logged).',
  redis_unavailable: 'Redis cannot be reached; answered within a second.',
} as const;

const IdParams = z.object({ id: z.string().openapi({ description: 'The id POST /v1/batches returned.' }) });

/** Largest create body: a few URIs. */
const MAX_CREATE_BYTES = 16 * 1024;

export function batchRoutes(o: { apiKeys: boolean }) {
  const security = o.apiKeys ? { security: [{ bearer: [] }] } : {};
  const notFound = { batch_not_found: 'unknown, past retention, or created with another API key.', ...COMMON };
  const one = (description: string) => ({ description, content: json(BatchSchema) });
  return {
    createBatch: createRoute({
      method: 'post',
      path: '/v1/batches',
      operationId: 'createBatch',
      summary: 'Run every line of a JSONL object as a prediction of one model; results go to JSONL shards.',
      ...security,
      request: {
        body: {
          required: true,
          description: `JSON, at most ${MAX_CREATE_BYTES} bytes.`,
          content: json(BatchCreateSchema),
        },
      },
      responses: {
        '201': {
          ...one('The batch, queued: a feeder takes it within a second.'),
          headers: {
            Location: {
              description: "The batch's URL: `/v1/batches/{id}`.",
              required: true,
              schema: { type: 'string' as const },
            },
          },
          links: {
            getBatch: { operationId: 'getBatch', parameters: { id: '$response.body#/id' } },
            cancelBatch: { operationId: 'cancelBatch', parameters: { id: '$response.body#/id' } },
          },
        },
        ...errorResponses({
          invalid_input: 'a field is missing, unknown or malformed, or `input_uri` names no object.',
          invalid_json: 'the body is not JSON.',
          webhook_refused:
            "`webhook`'s host does not resolve, or only to addresses deliveries are refused for (see createPrediction).",
          uri_not_allowed: "`input_uri` or `output_uri` is not under the gateway's ALTO_PAYLOAD_ROOTS.",
          model_not_found: 'no such model is published (or the API key may not use it).',
          model_not_ready: 'the model is published but no replica has loaded it yet; retry shortly.',
          payload_too_large: `the body is over ${MAX_CREATE_BYTES} bytes.`,
          ...COMMON,
        }),
      },
    }),
    listBatches: createRoute({
      method: 'get',
      path: '/v1/batches',
      operationId: 'listBatches',
      summary: "The caller's batches (those of its API key), newest first (the latest 100).",
      ...security,
      responses: { '200': { description: 'The batches.', content: json(BatchListSchema) }, ...errorResponses(COMMON) },
    }),
    getBatch: createRoute({
      method: 'get',
      path: '/v1/batches/{id}',
      operationId: 'getBatch',
      summary: 'A batch: its status, counts, rows per second and where its results are.',
      ...security,
      request: { params: IdParams },
      responses: { '200': one('The batch.'), ...errorResponses(notFound) },
    }),
    cancelBatch: createRoute({
      method: 'post',
      path: '/v1/batches/{id}/cancel',
      operationId: 'cancelBatch',
      summary:
        'Cancel a batch: no more lines are fed, its queued predictions are canceled, and the results of those that ' +
        'ended are still written. A finished batch is returned unchanged.',
      ...security,
      request: { params: IdParams },
      responses: { '200': one('The batch after the call.'), ...errorResponses(notFound) },
    }),
  };
}

export interface BatchApiDeps {
  /** The batches' store. @default none: every batch route answers 404 not_found */
  batches?: BatchStore;
  auth: Auth;
  predictions: Predictions;
  keyLimits?: KeyLimits;
  /** Checks a batch's webhook URL as a prediction's is checked. @default none: webhooks are refused */
  webhooks?: WebhookGate;
  /** ALTO_PAYLOAD_ROOTS. @default none: every URI is refused */
  payloadRoots?: readonly string[];
  objects?: ObjectOptions;
}

export function mountBatches(app: OpenAPIHono, d: BatchApiDeps, o: { apiKeys: boolean }): void {
  const routes = batchRoutes(o);
  const roots = d.payloadRoots ?? [];
  const objects: ObjectOptions = { ...d.objects, roots };
  const store = (): BatchStore => {
    if (!d.batches) throw new AltoError('not_found', 'this gateway serves no batch jobs');
    return d.batches;
  };
  const callerOf = (c: Context) => d.auth.caller(c.req.header('authorization'));
  const notFound = (id: string) => new AltoError('batch_not_found', `batch '${id}' does not exist or has expired`);
  const findOwned = async (c: Context, id: string): Promise<Batch> => {
    const { owner } = await callerOf(c);
    const b = await store().get(id);
    if (!b || (d.auth.enabled && b.owner !== owner)) throw notFound(id);
    return b;
  };

  mount(app, routes.createBatch, async (c) => {
    const { owner, key } = await callerOf(c);
    const text = await c.req.text();
    if (Buffer.byteLength(text) > MAX_CREATE_BYTES) {
      throw new AltoError(
        'payload_too_large',
        `body: expected at most ${MAX_CREATE_BYTES} bytes, got ${Buffer.byteLength(text)}`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new AltoError('invalid_json', `body: expected JSON, got a parse error (${(err as Error).message})`);
    }
    const parsed = BatchCreateSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? `field '${issue.path.join('.')}'` : 'request body';
      throw new AltoError('invalid_input', `${where}: ${issue.message}`);
    }
    const req = parsed.data;
    const model = await d.predictions.findModel(req.model);
    if (key) d.keyLimits?.allowModel(key, model.name);
    const inputUri = await allowedPayloadUri('input_uri', req.input_uri, roots);
    const outputUri = await allowedPayloadUri('output_uri', req.output_uri, roots);
    if (req.webhook !== undefined) {
      if (!d.webhooks) throw new AltoError('webhook_refused', "field 'webhook': this gateway sends no webhooks");
      await d.webhooks.check({ input: {}, webhook: req.webhook } as PredictionRequest, '');
    }
    if (!(await objectExists(inputUri, objects))) {
      throw new AltoError(
        'invalid_input',
        `field 'input_uri': expected an existing JSONL object, got '${req.input_uri}' (no such object)`,
      );
    }
    const b = await store().create({
      owner,
      ...(key ? { keyId: key.id } : {}),
      model: model.name,
      inputUri,
      outputUri,
      priority: req.priority,
      ...(req.webhook ? { webhook: req.webhook } : {}),
    });
    return c.json(renderBatch(b), 201, { location: `/v1/batches/${b.id}` });
  });

  mount(app, routes.listBatches, async (c) => {
    const { owner } = await callerOf(c);
    return c.json({ batches: (await store().list(owner, 100)).map((b) => renderBatch(b)) }, 200);
  });

  mount(app, routes.getBatch, async (c) => c.json(renderBatch(await findOwned(c, c.req.valid('param').id)), 200));

  mount(app, routes.cancelBatch, async (c) => {
    const { id } = c.req.valid('param');
    await findOwned(c, id);
    const r = await store().cancel(id);
    if (r.code === 'GONE') throw notFound(id);
    return c.json(renderBatch((await store().get(id))!), 200);
  });
}
