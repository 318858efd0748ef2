// The admin API's routes, declared once: admin.ts mounts its handlers on them and the API's
// OpenAPI document (GET /v1/admin/openapi.json) is generated from them. Bodies are read and
// checked by the handlers with the schemas the routes refer to (ADMIN_SCHEMAS), so that a
// refusal lists every problem of the body at once.
import {
  ADMIN_SCHEMAS,
  AdminModelListSchema,
  AdminModelSchema,
  AdminWorkerListSchema,
  ApiKeyCreateRequestSchema,
  ApiKeyCreatedSchema,
  ApiKeyListSchema,
  ApiKeySchema,
  AuditListSchema,
  DeadLetterListSchema,
  DrainResultSchema,
  PoolScalingSchema,
  PublishRequestSchema,
  ReplayRequestSchema,
  ReplayResultSchema,
  ScalingReportSchema,
  UnpublishResultSchema,
  UpdateRequestSchema,
  WhoamiSchema,
} from '@alto/control';
import { errorResponses, schemaRef, type ErrorCode } from '@alto/protocol';
import { createRoute, z } from '@hono/zod-openapi';

export const ADMIN_INFO = {
  title: 'Alto admin API',
  version: '1',
  description:
    'Publish, update and unpublish models, and watch the workers that serve them. Served by every publisher (leader or ' +
    'not) and, through the gateway, under the same paths. Every route but this document takes ' +
    '`Authorization: Bearer <admin token>` (ALTO_ADMIN_TOKEN or one of ALTO_ADMIN_TOKENS): a `read` token may GET, ' +
    'a `write` token may also change state. Every error is `{"error": {"code", "message"}}`.',
};

export const ADMIN_SECURITY_SCHEMES = {
  admin: {
    type: 'http',
    scheme: 'bearer',
    description: "One of the publisher's admin tokens (ALTO_ADMIN_TOKEN, ALTO_ADMIN_TOKENS).",
  },
};

const ref = (schema: z.ZodType) => schemaRef(ADMIN_SCHEMAS, schema);
const json = (schema: z.ZodType) => ({ 'application/json': { schema: ref(schema) } });
const security = [{ admin: [] }];

/** What every admin route can answer with. */
const COMMON = {
  unauthorized: 'the admin token is missing or wrong, or the publisher has no admin token.',
  too_many_attempts: 'too many failed admin authentications from this address; try again later.',
  internal: 'an unexpected failure in the publisher (it is logged).',
  redis_unavailable: 'Redis cannot be reached.',
} as const satisfies Partial<Record<ErrorCode, string>>;

/** What every route that changes state can also answer with. */
const WRITE = { forbidden: 'the admin token is read-only.' } as const;

const BODY = {
  invalid_input: 'the body does not fit the schema; the message lists every problem.',
  invalid_json: 'the body is not JSON.',
} as const;

const URI = {
  uri_not_allowed: 'the `uri` lies outside ALTO_ALLOWED_ROOTS.',
} as const;

const NO_MODEL = { model_not_found: 'no model of that name is published.' } as const;

const NameParams = z.object({ name: z.string().openapi({ description: "The model's name.", example: 'tiny' }) });
const PoolParams = z.object({
  pool: z
    .string()
    .openapi({ description: 'The pool: `cpu`, `gpu`, `gpu-team-ml` (docs/autoscaling.md).', example: 'cpu' }),
});
const KeyParams = z.object({ id: z.string().openapi({ description: "The API key's id (not its secret)." }) });
const WorkerParams = z.object({ id: z.string().openapi({ description: "The worker's id (ALTO_WORKER_ID)." }) });

const limitError = (issue: { input?: unknown }) => `expected an integer from 1 to 1000, got '${String(issue.input)}'`;

/** The query of the dead-letter listing; other parameters are ignored. */
export const DeadLetterQuerySchema = z.object({
  limit: z
    .string({ error: limitError })
    .transform(Number)
    .pipe(z.number().int({ error: limitError }).min(1, { error: limitError }).max(1000, { error: limitError }))
    .optional()
    // The wire form is text; what it must spell is an integer in range.
    .openapi({ type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'Most entries in the page.' }),
  after: z.string().optional().openapi({ description: "The previous page's `next`: entries after it." }),
});

/** The query of the audit log; other parameters are ignored. */
export const AuditQuerySchema = z.object({
  limit: DeadLetterQuerySchema.shape.limit,
  before: z
    .string()
    .regex(/^\d+-\d+$/, 'expected a stream entry id like 1700000000000-0')
    .optional()
    .openapi({ description: "The previous page's `next`: older events than it." }),
});

const body = (schema: z.ZodType, required = true) => ({ required, content: json(schema) });

export const adminRoutes = {
  openapi: createRoute({
    method: 'get',
    path: '/v1/admin/openapi.json',
    operationId: 'adminOpenapi',
    summary: 'This document (no token needed).',
    responses: {
      '200': { description: 'OpenAPI 3.1.', content: { 'application/json': { schema: { type: 'object' as const } } } },
    },
  }),
  listModels: createRoute({
    method: 'get',
    path: '/v1/admin/models',
    operationId: 'listPublishedModels',
    summary: 'Every published model, by name.',
    security,
    responses: {
      '200': { description: 'The models.', content: json(AdminModelListSchema) },
      ...errorResponses(COMMON),
    },
  }),
  getModel: createRoute({
    method: 'get',
    path: '/v1/admin/models/{name}',
    operationId: 'getPublishedModel',
    summary: 'One published model.',
    security,
    request: { params: NameParams },
    responses: {
      '200': { description: 'The model.', content: json(AdminModelSchema) },
      ...errorResponses({ ...NO_MODEL, ...COMMON }),
    },
  }),
  publish: createRoute({
    method: 'post',
    path: '/v1/admin/models',
    operationId: 'publishModel',
    summary: 'Publish a model: the leader places its replicas on workers.',
    security,
    request: { body: body(PublishRequestSchema) },
    responses: {
      '201': { description: 'Published.', content: json(AdminModelSchema) },
      ...errorResponses({
        ...BODY,
        ...URI,
        model_exists: 'a model of that name is already published; change it with PATCH.',
        ...WRITE,
        ...COMMON,
      }),
    },
  }),
  update: createRoute({
    method: 'patch',
    path: '/v1/admin/models/{name}',
    operationId: 'updateModel',
    summary:
      'Change a published model: only the fields given change; `"version": null` follows the newest version again.',
    security,
    request: { params: NameParams, body: body(UpdateRequestSchema) },
    responses: {
      '200': { description: 'The model after the change.', content: json(AdminModelSchema) },
      ...errorResponses({ ...BODY, ...URI, ...NO_MODEL, ...WRITE, ...COMMON }),
    },
  }),
  unpublish: createRoute({
    method: 'delete',
    path: '/v1/admin/models/{name}',
    operationId: 'unpublishModel',
    summary: 'Unpublish a model: its replicas unload and its queued predictions fail with model_unpublished.',
    security,
    request: { params: NameParams },
    responses: {
      '200': { description: 'Unpublished.', content: json(UnpublishResultSchema) },
      ...errorResponses({ ...NO_MODEL, ...WRITE, ...COMMON }),
    },
  }),
  deadLetters: createRoute({
    method: 'get',
    path: '/v1/admin/models/{name}/dead-letters',
    operationId: 'listDeadLetters',
    summary: "The model's dead letters (poison requests), oldest first, a page at a time.",
    security,
    request: { params: NameParams, query: DeadLetterQuerySchema },
    responses: {
      '200': { description: 'A page of dead letters.', content: json(DeadLetterListSchema) },
      ...errorResponses({ invalid_input: '`limit` is not an integer from 1 to 1000.', ...COMMON }),
    },
  }),
  replay: createRoute({
    method: 'post',
    path: '/v1/admin/models/{name}/dead-letters/replay',
    operationId: 'replayDeadLetters',
    summary: 'Queue dead letters again: those listed in `entries`, or all of them.',
    security,
    request: { params: NameParams, body: body(ReplayRequestSchema, false) },
    responses: {
      '200': { description: 'How many were queued again.', content: json(ReplayResultSchema) },
      ...errorResponses({ ...BODY, ...WRITE, ...COMMON }),
    },
  }),
  listWorkers: createRoute({
    method: 'get',
    path: '/v1/admin/workers',
    operationId: 'listWorkers',
    summary: 'Every worker with a report, by id.',
    security,
    responses: {
      '200': { description: 'The workers.', content: json(AdminWorkerListSchema) },
      ...errorResponses(COMMON),
    },
  }),
  drain: createRoute({
    method: 'post',
    path: '/v1/admin/workers/{id}/drain',
    operationId: 'drainWorker',
    summary: 'Drain a worker: its models move elsewhere, then it finishes what it holds and unloads.',
    security,
    request: { params: WorkerParams },
    responses: {
      '200': { description: 'Drained.', content: json(DrainResultSchema) },
      ...errorResponses({ not_found: 'no worker of that id is registered.', ...WRITE, ...COMMON }),
    },
  }),
  undrain: createRoute({
    method: 'delete',
    path: '/v1/admin/workers/{id}/drain',
    operationId: 'undrainWorker',
    summary: 'Return a drained worker to service.',
    security,
    request: { params: WorkerParams },
    responses: {
      '200': { description: 'Back in service.', content: json(DrainResultSchema) },
      ...errorResponses({ not_found: 'no worker of that id is registered.', ...WRITE, ...COMMON }),
    },
  }),
  whoami: createRoute({
    method: 'get',
    path: '/v1/admin/whoami',
    operationId: 'adminWhoami',
    summary: 'The admin token this request carries: its name and scope.',
    security,
    responses: {
      '200': { description: 'The acting token.', content: json(WhoamiSchema) },
      ...errorResponses(COMMON),
    },
  }),
  audit: createRoute({
    method: 'get',
    path: '/v1/admin/audit',
    operationId: 'listAuditEvents',
    summary: 'The audit log of state-changing admin actions, newest first, a page at a time.',
    security,
    request: { query: AuditQuerySchema },
    responses: {
      '200': { description: 'A page of audit events.', content: json(AuditListSchema) },
      ...errorResponses({ invalid_input: '`limit` or `before` is malformed.', ...COMMON }),
    },
  }),
  scaling: createRoute({
    method: 'get',
    path: '/v1/admin/scaling',
    operationId: 'getScaling',
    summary: 'The autoscaling signal: workers each pool needs, from backlog, arrivals and measured throughput.',
    security,
    responses: {
      '200': { description: 'Every pool with models or workers.', content: json(ScalingReportSchema) },
      ...errorResponses(COMMON),
    },
  }),
  scalingPool: createRoute({
    method: 'get',
    path: '/v1/admin/scaling/pools/{pool}',
    operationId: 'getPoolScaling',
    summary: "One pool's autoscaling signal (KEDA's metrics-api trigger reads `desired_workers`).",
    security,
    request: { params: PoolParams },
    responses: {
      '200': { description: 'The pool.', content: json(PoolScalingSchema) },
      ...errorResponses({ not_found: 'no model or live worker belongs to that pool.', ...COMMON }),
    },
  }),
  listKeys: createRoute({
    method: 'get',
    path: '/v1/admin/keys',
    operationId: 'listApiKeys',
    summary: 'Every managed API key (revoked ones too), oldest first; never a secret.',
    security,
    responses: {
      '200': { description: 'The keys.', content: json(ApiKeyListSchema) },
      ...errorResponses(COMMON),
    },
  }),
  createKey: createRoute({
    method: 'post',
    path: '/v1/admin/keys',
    operationId: 'createApiKey',
    summary: 'Create a managed API key with its limits; the answer holds its secret, shown this once only.',
    security,
    request: { body: body(ApiKeyCreateRequestSchema) },
    responses: {
      '201': { description: 'Created.', content: json(ApiKeyCreatedSchema) },
      ...errorResponses({ ...BODY, ...WRITE, ...COMMON }),
    },
  }),
  getKey: createRoute({
    method: 'get',
    path: '/v1/admin/keys/{id}',
    operationId: 'getApiKey',
    summary: 'One managed API key with its usage per model; never its secret.',
    security,
    request: { params: KeyParams },
    responses: {
      '200': { description: 'The key.', content: json(ApiKeySchema) },
      ...errorResponses({ not_found: 'no API key of that id exists.', ...COMMON }),
    },
  }),
  revokeKey: createRoute({
    method: 'delete',
    path: '/v1/admin/keys/{id}',
    operationId: 'revokeApiKey',
    summary: 'Revoke a managed API key: every gateway refuses it within ALTO_API_KEY_CACHE_MS.',
    security,
    request: { params: KeyParams },
    responses: {
      '200': { description: 'Revoked (again, if it already was).', content: json(ApiKeySchema) },
      ...errorResponses({ not_found: 'no API key of that id exists.', ...WRITE, ...COMMON }),
    },
  }),
};
