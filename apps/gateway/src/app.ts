// The public HTTP API. Handlers throw AltoError; `errorResponse` renders every failure.
import {
  AltoError, DEFAULT_MAX_QUEUE_LENGTH, PredictionRequestSchema, httpStatus, TERMINAL, newPredictionId, openApiDocument, renderPrediction, validateInputs,
  type ModelDescription, type ModelInfo, type PredictionRecord,
} from '@alto/protocol';
import { asAltoError, type CompletionHub, type ModelRegistry, type PredictionStore, type RedisModelRegistry } from '@alto/queue';
import type { Logger } from '@alto/telemetry';
import { Hono, type Context } from 'hono';
import type { Redis } from 'ioredis';
import { readRequest } from './body.ts';
import { errorResponse } from './errors.ts';
import type { GatewayMetrics } from './metrics.ts';
import { parseWait } from './prefer.ts';
import type { WebhookGate } from './webhook.ts';

export interface GatewayDeps {
  redis: Redis;
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
}

export function createApp(d: GatewayDeps): Hono {
  const app = new Hono();
  const origin = (c: Context) => d.publicUrl ?? new URL(c.req.url).origin;

  app.onError((err, c) => errorResponse(err, c, d.log));
  app.notFound((c) =>
    errorResponse(new AltoError('not_found', `no route ${c.req.method} ${c.req.path}`), c, d.log),
  );
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    d.metrics.duration.observe({ route: c.req.routePath || 'unmatched' }, performance.now() - started);
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  // The document of this API (OpenAPI 3.1), generated from the schemas requests are checked with.
  const openapi = openApiDocument({ maxBodyBytes: d.maxBodyBytes, maxWaitSeconds: d.maxWaitSeconds });
  app.get('/openapi.json', (c) => c.json(openapi));

  app.get('/readyz', async (c) => {
    try {
      await d.redis.ping();
      const models = await d.models.list();
      return c.json({ status: 'ready', models: models.length });
    } catch (err) {
      return c.json({ status: 'unavailable', reason: (err as Error).message }, 503);
    }
  });

  app.get('/metrics', async (c) =>
    c.text(await d.metrics.registry.metrics(), 200, { 'content-type': d.metrics.registry.contentType }),
  );

  const findModel = async (name: string): Promise<ModelInfo> => {
    const model = await d.models.get(name);
    if (model) return model;
    if (await d.models.isPublished(name)) {
      throw new AltoError('model_not_ready', `model '${name}' is published but no replica has loaded it yet; retry shortly`, true);
    }
    throw new AltoError('model_not_found', `model '${name}' is not published`);
  };

  const findVersion = async (name: string, version: string): Promise<ModelInfo> => {
    const model = await findModel(name);
    const info = model.versions.includes(version) ? await d.models.getVersion(name, version) : undefined;
    if (!info) {
      throw new AltoError('version_not_found', `model '${name}' serves version(s) ${model.versions.join(', ')}, not '${version}'`);
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

  app.get('/v1/models', async (c) => c.json({ models: await describeModel(await d.models.list()) }));

  app.get('/v1/models/:model', async (c) => {
    const [model] = await describeModel([await findModel(c.req.param('model'))]);
    return c.json(model);
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
  app.post('/v1/models/:model/predictions', predict);
  app.post('/v1/models/:model/versions/:version/predictions', predict);

  async function submit(c: Context, name: string, version: string | undefined): Promise<Response> {
    const model = version === undefined ? await findModel(name) : await findVersion(name, version);
    const wait = parseWait(c.req.header('prefer'), d.maxWaitSeconds);
    const json = await readRequest(c, d.maxBodyBytes);
    const parsed = PredictionRequestSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? `field '${issue.path.join('.')}'` : 'request body';
      throw new AltoError('invalid_input', `${where}: ${issue.message}`);
    }
    const { tensors } = validateInputs(model, parsed.data.input);
    const webhook = await d.webhooks.check(parsed.data, origin(c));
    const id = newPredictionId(model.name);
    // Watch before enqueueing, so a completion published in between is not missed.
    const watch = wait > 0 ? d.hub.watch(id) : undefined;
    try {
      const createdAt = Date.now();
      const timeout = parsed.data.timeout_ms ?? model.timeout_ms;
      let record = await d.store.enqueue({
        id, model: model.name, version: model.version, pinned: version !== undefined, format: parsed.data.response_format, tensors, createdAt,
        maxQueueLength: model.max_queue_length ?? DEFAULT_MAX_QUEUE_LENGTH,
        ...(timeout ? { deadline: createdAt + timeout } : {}),
        ...(webhook ? { webhook } : {}),
      });
      d.log.debug({ prediction_id: id, model: model.name }, 'prediction queued');
      if (watch) {
        d.metrics.waiting.inc();
        try {
          record = await awaitTerminal(record, watch, wait * 1000);
        } finally {
          d.metrics.waiting.dec();
        }
      }
      const body = renderPrediction(record, origin(c));
      const headers: Record<string, string> = { location: `/v1/predictions/${id}` };
      if (wait > 0) headers['preference-applied'] = `wait=${wait}`;
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
      record = (await d.store.get(record.id)) ?? record;
    }
    return record;
  }

  app.post('/v1/predictions/:id/cancel', async (c) => {
    const id = c.req.param('id');
    const record = await d.store.cancel(id, d.retentionMs);
    if (!record) throw new AltoError('prediction_not_found', `prediction '${id}' does not exist or has expired`);
    return c.json(renderPrediction(record, origin(c)));
  });

  app.get('/v1/predictions/:id', async (c) => {
    const id = c.req.param('id');
    const record = await d.store.get(id);
    if (!record) throw new AltoError('prediction_not_found', `prediction '${id}' does not exist or has expired`);
    return c.json(renderPrediction(record, origin(c)));
  });

  return app;
}
