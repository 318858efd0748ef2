// The public HTTP API. Handlers throw AltoError; the error model (gatewayErrors) renders every failure.
import {
  AltoError,
  PredictionRequestSchema,
  httpStatus,
  TERMINAL,
  modelOfPrediction,
  mount,
  openApiApp,
  renderPrediction,
  serveDocument,
  validateInputs,
  type BytesLimits,
  type ModelDescription,
  type ModelInfo,
  type PredictionRecord,
} from '@alto/protocol';
import {
  asAltoError,
  type CompletionHub,
  type MemoryGauge,
  type ModelRegistry,
  type OwnerIndex,
  type Keys,
  type PredictionStore,
  type RedisModelRegistry,
} from '@alto/queue';
import { inSpan, type Logger } from '@alto/telemetry';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Redis } from 'ioredis';
import type { Auth } from './auth.ts';
import type { KeyLimits } from './key-limits.ts';
import { countCanceled } from './key-usage.ts';
import { adminProxy } from './admin-proxy.ts';
import { mountConsole, type ConsoleDeps } from './console/index.ts';
import { BATCH_GATEWAY_SCHEMAS, mountBatches, type BatchApiDeps } from './batch-routes.ts';
import { readRequest } from './body.ts';
import { idempotency, idempotencyKeyHash } from './idempotency.ts';
import { listOptions, queryError } from './listing.ts';
import { gatewayErrors } from './errors.ts';
import type { GatewayMetrics } from './metrics.ts';
import { payloadRefs, type PayloadRefs } from './payloads.ts';
import { parseWait } from './prefer.ts';
import { predictions } from './submit.ts';
import { readiness } from './readiness.ts';
import { oipDeps } from './oip/deps.ts';
import { oipRest } from './oip/rest.ts';
import { INFO, SECURITY_SCHEMES, gatewayRoutes } from './routes.ts';
import { predictionResponse } from './msgpack.ts';
import type { PredictVia } from './predict-via.ts';
import { mountTfServing } from './tfserving-routes.ts';
import { mountEmbed } from './embed.ts';
import { downstreamTraceparent, gatewayTracer, requestTrace, traceRequests } from './tracing.ts';
import type { WebhookGate } from './webhook.ts';

export interface GatewayDeps {
  redis: Redis;
  /** Managed API keys' limits (with ALTO_MANAGED_API_KEYS). @default none */
  keyLimits?: KeyLimits;
  /** Refuses new work past Redis's memory high-water mark. @default none: no memory check */
  memory?: MemoryGauge;
  store: PredictionStore;
  models: ModelRegistry;
  status: RedisModelRegistry;
  hub: CompletionHub;
  metrics: GatewayMetrics;
  log: Logger;
  maxBodyBytes: number;
  /** Size limits on BYTES inputs. @default DEFAULT_BYTES_LIMITS */
  bytesLimits?: BytesLimits;
  maxWaitSeconds: number;
  retentionMs: number;
  publicUrl?: string;
  webhooks: WebhookGate;
  auth: Auth;
  owners: OwnerIndex;
  /** How long an Idempotency-Key is remembered. @default 24 h */
  idempotencyMs?: number;
  /** The publisher whose admin API is served under /v1/admin (ALTO_PUBLISHER_URL). @default none: /v1/admin is 404 */
  publisherUrl?: string;
  /** How long an Open Inference Protocol infer call holds, in seconds. @default 60 */
  oipInferTimeoutSeconds?: number;
  /** Batch jobs (docs/batches.md): their store and where their objects may be. @default none: no /v1/batches */
  batches?: Omit<BatchApiDeps, 'auth' | 'predictions' | 'keyLimits'>;
  /** Key names, for managed keys' usage totals (cancellations, key-usage.ts). @default none: metrics only */
  keys?: Pick<Keys, 'apiKeyUsage'>;
  /** Where inputs and outputs by reference may be (ALTO_PAYLOAD_ROOTS). @default none: refused */
  payloads?: PayloadRefs;
  /** The web console under /console (with publisherUrl). @default none: /console is 404 */
  console?: ConsoleDeps;
}

export function createApp(d: GatewayDeps): OpenAPIHono {
  // The only validated query is the listing's: its refusals are worded by listing.ts.
  const app = openApiApp((_target, error) => queryError(error));
  const routes = gatewayRoutes({
    maxBodyBytes: d.maxBodyBytes,
    maxWaitSeconds: d.maxWaitSeconds,
    apiKeys: d.auth?.enabled ?? false,
  });
  const origin = (c: Context) => d.publicUrl ?? new URL(c.req.url).origin;

  const errors = gatewayErrors(d.log);
  app.onError(errors.onError);
  app.notFound(errors.notFound);
  // Every route, the admin API's included: a span per request, child of the caller's traceparent.
  app.use(traceRequests);
  if (d.publisherUrl) {
    // Before the metrics middleware: the publisher counts its own requests.
    const proxy = adminProxy(d.publisherUrl, downstreamTraceparent);
    app.all('/v1/admin', proxy);
    app.all('/v1/admin/*', proxy);
  }
  if (d.console) mountConsole(app, d.console);
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    d.metrics.duration.observe({ route: c.req.routePath || 'unmatched' }, performance.now() - started);
  });

  mount(app, routes.healthz, (c) => c.json({ status: 'ok' as const }, 200));

  // The document of this API (OpenAPI 3.1), generated from its routes.
  serveDocument(app, routes.openapi, {
    info: INFO,
    schemas: BATCH_GATEWAY_SCHEMAS,
    securitySchemes: SECURITY_SCHEMES,
  });

  mount(app, routes.readyz, async (c) => {
    const r = await readiness(d);
    return r.ready
      ? c.json({ status: 'ready' as const, models: r.models }, 200)
      : c.json({ status: 'unavailable' as const, reason: r.reason }, 503);
  });

  mount(app, routes.metrics, async (c) =>
    c.text(await d.metrics.registry.metrics(), 200, { 'content-type': d.metrics.registry.contentType }),
  );

  const submitPath = predictions(d);
  const { findModel, findVersion, submit: enqueue } = submitPath;
  // Batch jobs (docs/batches.md): documented always, served when the gateway has their store.
  mountBatches(
    app,
    {
      ...d.batches,
      auth: d.auth,
      predictions: submitPath,
      webhooks: d.webhooks,
      ...(d.keyLimits ? { keyLimits: d.keyLimits } : {}),
    },
    { apiKeys: d.auth?.enabled ?? false },
  );

  // The Open Inference Protocol (docs/protocols.md): its own routes and error format.
  app.route('/v2', oipRest(oipDeps(d)));

  const describeModel = async (models: ModelInfo[]): Promise<ModelDescription[]> => {
    const status = await d.status.status(models.map((m) => m.name));
    return models.map((m) => ({
      ...m,
      ready_replicas: status.get(m.name)?.readyReplicas ?? 0,
      queue_depth: status.get(m.name)?.queueDepth ?? 0,
    }));
  };

  mount(app, routes.listModels, async (c) => c.json({ models: await describeModel(await d.models.list()) }, 200));

  mount(app, routes.getModel, async (c) => {
    const [model] = await describeModel([await findModel(c.req.valid('param').model)]);
    return c.json(model!, 200);
  });

  // Alto's own prediction routes: the request as readRequest reads it, answered as JSON or msgpack.
  const altoVia: PredictVia = {
    wait: (c) => parseWait(c.req.header('prefer'), d.maxWaitSeconds),
    read: (c) => readRequest(c, d.maxBodyBytes),
    answer: (c, record, headers) =>
      predictionResponse(c, record, origin(c), TERMINAL.has(record.status) ? 200 : 202, headers),
    outputsByReference: true,
  };

  const predict = async (
    c: Context,
    via: PredictVia = altoVia,
    name = c.req.param('model')!,
    version = c.req.param('version'),
  ) => {
    let status = 500;
    let known = true;
    try {
      const response = await submit(c, name, version, via);
      status = response.status;
      return response;
    } catch (err) {
      const e = asAltoError(err);
      status = e instanceof AltoError ? httpStatus(e.code) : 500;
      known = !(e instanceof AltoError && e.code === 'model_not_found');
      throw err;
    } finally {
      // Unknown names get one label: they would otherwise grow the series without bound.
      d.metrics.requests.inc({ model: known ? name : '_unknown', status: String(status) });
    }
  };
  mount(app, routes.createPrediction, (c) => predict(c));
  mount(app, routes.createVersionPrediction, (c) => predict(c));
  mountTfServing(app, {
    predict,
    errors,
    maxBodyBytes: d.maxBodyBytes,
    maxWaitSeconds: d.maxWaitSeconds,
    apiKeys: d.auth?.enabled ?? false,
  });
  mountEmbed(app, {
    predict,
    maxBodyBytes: d.maxBodyBytes,
    maxWaitSeconds: d.maxWaitSeconds,
    origin,
    apiKeys: d.auth?.enabled ?? false,
  });

  const callerOf = (c: Context) => d.auth.caller(c.req.header('authorization'));
  const ownerOf = async (c: Context) => (await callerOf(c)).owner;

  async function submit(c: Context, name: string, version: string | undefined, via: PredictVia): Promise<Response> {
    const { owner, key } = await callerOf(c);
    const trace = requestTrace(c);
    const validate = async () => {
      const model = version === undefined ? await findModel(name) : await findVersion(name, version);
      const wait = via.wait(c);
      const idemKey = idempotencyKeyHash(c.req.header('idempotency-key'));
      const { json, raw } = await via.read(c, model);
      const idem = idempotency(idemKey, raw, name, version, d.idempotencyMs ?? 86_400_000);
      const parsed = PredictionRequestSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const where = issue.path.length ? `field '${issue.path.join('.')}'` : 'request body';
        throw new AltoError('invalid_input', `${where}: ${issue.message}`);
      }
      const payloads = d.payloads ?? payloadRefs([]);
      const options = { ...payloads.validate, ...(d.bytesLimits ? { bytes: d.bytesLimits } : {}) };
      const inputs = validateInputs(model, parsed.data.input, options).tensors;
      const tensors = payloads.withOutput(inputs, parsed.data.output_uri, via.outputsByReference === true);
      const webhook = await d.webhooks.check(parsed.data, origin(c));
      return { model, wait, idem, parsed, tensors, webhook };
    };
    const { model, wait, idem, parsed, tensors, webhook } = await inSpan(
      gatewayTracer,
      'gateway.validate',
      { attributes: { 'alto.model': name } },
      trace,
      validate,
    );
    const { record, replayed } = await enqueue({
      trace,
      owner,
      ...(key ? { key } : {}),
      model,
      pinned: version !== undefined,
      tensors,
      format: parsed.data.response_format,
      priority: parsed.data.priority,
      waitMs: wait * 1000,
      ...(parsed.data.timeout_ms ? { timeoutMs: parsed.data.timeout_ms } : {}),
      ...(webhook ? { webhook } : {}),
      ...(idem ? { idempotency: idem } : {}),
    });
    d.console?.accepted.add(model.name, record.id);
    const headers: Record<string, string> = { location: `/v1/predictions/${record.id}` };
    if (wait > 0) headers['preference-applied'] = `wait=${wait}`;
    if (replayed) headers['idempotent-replayed'] = 'true';
    return via.answer(c, record, headers);
  }

  const notFound = (id: string) =>
    new AltoError('prediction_not_found', `prediction '${id}' does not exist or has expired`);

  /** The prediction, if the caller may see it; another key's prediction is reported as absent. */
  const findOwned = async (c: Context, id: string): Promise<PredictionRecord> => {
    const owner = await ownerOf(c);
    const record = await d.store.get(id);
    if (!record || (d.auth.enabled && record.owner !== owner)) throw notFound(id);
    return record;
  };

  mount(app, routes.cancelPrediction, async (c) => {
    const { id } = c.req.valid('param');
    const before = await findOwned(c, id);
    const record = await d.store.cancel(id, d.retentionMs);
    if (!record) throw notFound(id);
    // Counted by the request that saw it go from queued or running to canceled.
    if (!TERMINAL.has(before.status) && record.status === 'canceled') {
      await countCanceled(d, await callerOf(c), modelOfPrediction(id) ?? '');
    }
    return predictionResponse(c, record, origin(c), 200);
  });

  mount(app, routes.getPrediction, async (c) =>
    predictionResponse(c, await findOwned(c, c.req.valid('param').id), origin(c), 200),
  );

  mount(app, routes.listPredictions, async (c) => {
    const owner = await ownerOf(c);
    const query = listOptions(c.req.valid('query'));
    const page = await d.owners.list(owner, query);
    if (!page) {
      throw new AltoError(
        'invalid_input',
        `query parameter 'cursor': '${query.after}' is not a cursor of this listing (or has expired)`,
      );
    }
    return c.json(
      { predictions: page.predictions.map((r) => renderPrediction(r, origin(c))), next_cursor: page.next },
      200,
    );
  });

  return app;
}
