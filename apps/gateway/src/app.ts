// The public HTTP API. Handlers throw AltoError; the error model (gatewayErrors) renders every failure.
import {
  AltoError,
  DEFAULT_MAX_QUEUE_LENGTH,
  GATEWAY_SCHEMAS,
  PredictionRequestSchema,
  httpStatus,
  TERMINAL,
  mount,
  newPredictionId,
  openApiApp,
  renderPrediction,
  serveDocument,
  validateInputs,
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
  type PredictionStore,
  type RedisModelRegistry,
} from '@alto/queue';
import { formatTraceparent, inSpan, type Logger } from '@alto/telemetry';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Redis } from 'ioredis';
import type { Auth } from './auth.ts';
import { adminProxy } from './admin-proxy.ts';
import { readRequest } from './body.ts';
import { idempotency, idempotencyKeyHash } from './idempotency.ts';
import { listOptions, queryError } from './listing.ts';
import { gatewayErrors } from './errors.ts';
import type { GatewayMetrics } from './metrics.ts';
import { parseWait } from './prefer.ts';
import { INFO, SECURITY_SCHEMES, gatewayRoutes } from './routes.ts';
import { downstreamTraceparent, gatewayTracer, requestTrace, traceRequests } from './tracing.ts';
import type { WebhookGate } from './webhook.ts';

export interface GatewayDeps {
  redis: Redis;
  /** Refuses new work past Redis's memory high-water mark. @default none: no memory check */
  memory?: MemoryGauge;
  store: PredictionStore;
  models: ModelRegistry;
  status: RedisModelRegistry;
  hub: CompletionHub;
  metrics: GatewayMetrics;
  log: Logger;
  maxBodyBytes: number;
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
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    d.metrics.duration.observe({ route: c.req.routePath || 'unmatched' }, performance.now() - started);
  });

  mount(app, routes.healthz, (c) => c.json({ status: 'ok' as const }, 200));

  // The document of this API (OpenAPI 3.1), generated from its routes.
  serveDocument(app, routes.openapi, { info: INFO, schemas: GATEWAY_SCHEMAS, securitySchemes: SECURITY_SCHEMES });

  mount(app, routes.readyz, async (c) => {
    try {
      await d.redis.ping();
      // Past the high-water mark new predictions are refused: not ready for new work.
      const full = await d.memory?.admit().then(
        () => undefined,
        (err: unknown) => err,
      );
      if (full instanceof AltoError) return c.json({ status: 'unavailable' as const, reason: full.message }, 503);
      const models = await d.models.list();
      return c.json({ status: 'ready' as const, models: models.length }, 200);
    } catch (err) {
      return c.json({ status: 'unavailable' as const, reason: (err as Error).message }, 503);
    }
  });

  mount(app, routes.metrics, async (c) =>
    c.text(await d.metrics.registry.metrics(), 200, { 'content-type': d.metrics.registry.contentType }),
  );

  const findModel = async (name: string): Promise<ModelInfo> => {
    const model = await d.models.get(name);
    if (model) return model;
    if (await d.models.isPublished(name)) {
      throw new AltoError(
        'model_not_ready',
        `model '${name}' is published but no replica has loaded it yet; retry shortly`,
        true,
      );
    }
    throw new AltoError('model_not_found', `model '${name}' is not published`);
  };

  const findVersion = async (name: string, version: string): Promise<ModelInfo> => {
    const model = await findModel(name);
    const info = model.versions.includes(version) ? await d.models.getVersion(name, version) : undefined;
    if (!info) {
      throw new AltoError(
        'version_not_found',
        `model '${name}' serves version(s) ${model.versions.join(', ')}, not '${version}'`,
      );
    }
    return info;
  };

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

  const predict = async (c: Context) => {
    const name = c.req.param('model')!;
    const version = c.req.param('version');
    let status = 500;
    let known = true;
    try {
      const response = await submit(c, name, version);
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
  mount(app, routes.createPrediction, predict);
  mount(app, routes.createVersionPrediction, predict);

  const ownerOf = (c: Context) => d.auth.owner(c.req.header('authorization'));

  async function submit(c: Context, name: string, version: string | undefined): Promise<Response> {
    const owner = ownerOf(c);
    const traced = requestTrace(c);
    const { model, wait, idem, parsed, tensors, webhook } = await inSpan(
      gatewayTracer,
      'gateway.validate',
      { attributes: { 'alto.model': name } },
      traced,
      async () => {
        const model = version === undefined ? await findModel(name) : await findVersion(name, version);
        const wait = parseWait(c.req.header('prefer'), d.maxWaitSeconds);
        const idemKey = idempotencyKeyHash(c.req.header('idempotency-key'));
        const { json, raw } = await readRequest(c, d.maxBodyBytes);
        const idem = idempotency(idemKey, raw, name, version, d.idempotencyMs ?? 86_400_000);
        const parsed = PredictionRequestSchema.safeParse(json);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          const where = issue.path.length ? `field '${issue.path.join('.')}'` : 'request body';
          throw new AltoError('invalid_input', `${where}: ${issue.message}`);
        }
        const { tensors } = validateInputs(model, parsed.data.input);
        const webhook = await d.webhooks.check(parsed.data, origin(c));
        // Checked last before the enqueue, on a cached reading (no round trip per request).
        await d.memory?.admit();
        return { model, wait, idem, parsed, tensors, webhook };
      },
    );
    const created = newPredictionId(model.name);
    // Watch before enqueueing, so a completion published in between is not missed.
    let watch = wait > 0 ? d.hub.watch(created) : undefined;
    try {
      const createdAt = Date.now();
      const timeout = parsed.data.timeout_ms ?? model.timeout_ms;
      const enqueueAttributes = {
        'alto.model': model.name,
        'alto.model.version': model.version,
        'alto.prediction.id': created,
        'alto.priority': parsed.data.priority,
      };
      let record = await inSpan(gatewayTracer, 'gateway.enqueue', { attributes: enqueueAttributes }, traced, (span) =>
        d.store.enqueue({
          // The entry carries this span's context: the worker's spans continue the trace from here.
          traceparent: formatTraceparent(span.spanContext()),
          id: created,
          model: model.name,
          version: model.version,
          pinned: version !== undefined,
          format: parsed.data.response_format,
          tensors,
          createdAt,
          owner,
          priority: parsed.data.priority,
          waited: watch !== undefined,
          maxQueueLength: model.max_queue_length ?? DEFAULT_MAX_QUEUE_LENGTH,
          ...(timeout ? { deadline: createdAt + timeout } : {}),
          ...(webhook ? { webhook } : {}),
          ...(idem ? { idempotency: idem } : {}),
        }),
      );
      const replayed = record.replayed === true;
      // Indexed for listing while the prediction runs: off the path of a waiting request.
      let indexed: Promise<void> | undefined;
      if (replayed) {
        // The first prediction of this Idempotency-Key: watch it instead, then read it again
        // so a completion between the enqueue and the watch is not missed.
        if (watch) {
          watch.dispose();
          watch = d.hub.watch(record.id);
          record = (await d.store.get(record.id)) ?? record;
        }
      } else {
        indexed = d.owners.add(owner, record.id, createdAt, d.retentionMs);
        // Awaited below; until then its failure must not count as unhandled.
        indexed.catch(() => undefined);
        d.log.debug({ prediction_id: record.id, model: model.name }, 'prediction queued');
      }
      const id = record.id;
      if (watch) {
        d.metrics.waiting.inc();
        try {
          record = await awaitTerminal(record, watch, wait * 1000);
        } finally {
          d.metrics.waiting.dec();
        }
      }
      await indexed;
      const body = renderPrediction(record, origin(c));
      const headers: Record<string, string> = { location: `/v1/predictions/${id}` };
      if (wait > 0) headers['preference-applied'] = `wait=${wait}`;
      if (replayed) headers['idempotent-replayed'] = 'true';
      return c.json(body, TERMINAL.has(record.status) ? 200 : 202, headers);
    } finally {
      watch?.dispose();
    }
  }

  async function awaitTerminal(
    initial: PredictionRecord,
    watch: ReturnType<CompletionHub['watch']>,
    waitMs: number,
  ): Promise<PredictionRecord> {
    const deadline = Date.now() + waitMs;
    let record = initial;
    while (!TERMINAL.has(record.status)) {
      const signal = await watch.next(deadline - Date.now());
      if (signal === 'timeout') {
        return (await d.store.get(record.id)) ?? record;
      }
      // A notice may carry the finished record; otherwise read it.
      record = (signal === 'done' ? watch.carried() : undefined) ?? (await d.store.get(record.id)) ?? record;
    }
    return record;
  }

  const notFound = (id: string) =>
    new AltoError('prediction_not_found', `prediction '${id}' does not exist or has expired`);

  /** The prediction, if the caller may see it; another key's prediction is reported as absent. */
  const findOwned = async (c: Context, id: string): Promise<PredictionRecord> => {
    const owner = ownerOf(c);
    const record = await d.store.get(id);
    if (!record || (d.auth.enabled && record.owner !== owner)) throw notFound(id);
    return record;
  };

  mount(app, routes.cancelPrediction, async (c) => {
    const { id } = c.req.valid('param');
    await findOwned(c, id);
    const record = await d.store.cancel(id, d.retentionMs);
    if (!record) throw notFound(id);
    return c.json(renderPrediction(record, origin(c)), 200);
  });

  mount(app, routes.getPrediction, async (c) =>
    c.json(renderPrediction(await findOwned(c, c.req.valid('param').id), origin(c)), 200),
  );

  mount(app, routes.listPredictions, async (c) => {
    const owner = ownerOf(c);
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
