// The admin API (bearer token): publish, update, unpublish and list models; list workers.
// Every publisher serves it, leader or not: specs are plain writes, the leader acts on them.
// Every state-changing action is audited (appendAudit) with the acting token's name.
import {
  ADMIN_SCHEMAS,
  appendAudit,
  createApiKey,
  listApiKeys,
  getApiKey,
  revokeApiKey,
  ApiKeyCreateRequestSchema,
  readAudit,
  type AuditInput,
  PublishRequestSchema,
  ReplayRequestSchema,
  UpdateRequestSchema,
  type ControlStore,
  type ModelSpec,
} from '@alto/control';
import { AltoError, errorModel, mount, openApiApp, serveDocument, type OutcomeCode } from '@alto/protocol';
import { asAltoError, type DeadLetters, type PredictionStore } from '@alto/queue';
import { CheckpointError, assertAllowedResolved, openSource } from '@alto/repository';
import { startServerSpan, tracer, type Logger } from '@alto/telemetry';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { ADMIN_INFO, ADMIN_SECURITY_SCHEMES, adminRoutes as routes } from './admin-routes.ts';
import { allows, matchToken, type AdminActor, type AdminToken } from './admin-tokens.ts';
import { AuthLimit } from './auth-limit.ts';
import { clientAddress, trustList } from './client-address.ts';
import type { PublisherMetrics } from './metrics.ts';
import type { ScalingSampler } from './scaling/sampler.ts';
import { modelView, workerView } from './views.ts';

export interface AdminDeps {
  store: ControlStore;
  predictions: PredictionStore;
  deadLetters: DeadLetters;
  log: Logger;
  /** For the audit log. */
  redis: Redis;
  /** Admin tokens (ALTO_ADMIN_TOKEN as `default`, ALTO_ADMIN_TOKENS, ALTO_ADMIN_TOKENS_FILE); none: all refused. */
  tokens: readonly AdminToken[];
  /** Peers whose X-Forwarded-For names the client (ALTO_ADMIN_TRUSTED_PROXIES): addresses and CIDRs. */
  trustedProxies: readonly string[];
  /** Failed authentications allowed per client address per window. */
  authFailures: number;
  authWindowMs: number;
  /** Events kept in the audit stream (ALTO_AUDIT_MAX_EVENTS). */
  auditMaxEvents: number;
  allowedRoots: readonly string[];
  workerTimeoutMs: number;
  retentionMs: number;
  /** Whether this publisher leads now (shown by /healthz). */
  leading: () => boolean;
  metrics: PublisherMetrics;
  /** The autoscaling signal (GET /v1/admin/scaling). */
  scaling: ScalingSampler;
}

/** What a request carries once authenticated. */
type AdminEnv = { Variables: { actor: AdminActor; source: string } };

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
  throw new AltoError('invalid_input', problems.join('; '));
}

async function json(c: Context): Promise<unknown> {
  return jsonOf(await c.req.text());
}

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AltoError('invalid_json', `body: not valid JSON (${(err as Error).message})`);
  }
}

/** The outcome of the predictions an unpublish finds queued. */
const UNPUBLISHED: OutcomeCode = 'model_unpublished';

/** What the admin API's libraries throw, as the AltoError it is answered with. */
function adminError(err: unknown): unknown {
  const e = asAltoError(err);
  if (e instanceof CheckpointError) {
    return new AltoError(e.code === 'uri_not_allowed' ? 'uri_not_allowed' : 'invalid_input', e.message);
  }
  return e;
}

const publisherTracer = tracer('publisher');

export function createAdminApp(d: AdminDeps): OpenAPIHono {
  const app = openApiApp();
  const now = () => Date.now();

  const errors = errorModel({ log: d.log, convert: adminError });
  app.onError(errors.onError);
  app.notFound(errors.notFound);
  // A span per admin request, child of the caller's (or the gateway proxy's) traceparent.
  app.use(async (c, next) => {
    const span = startServerSpan(publisherTracer, c.req.method, c.req.header('traceparent'));
    try {
      await next();
    } finally {
      span.end(c.req.routePath || 'unmatched', c.req.path, c.res.status);
    }
  });

  app.get('/healthz', (c) => c.json({ status: 'ok', leader: d.leading() }));
  app.get('/metrics', async (c) =>
    c.text(await d.metrics.registry.metrics(), 200, { 'content-type': d.metrics.registry.contentType }),
  );

  // Open, like the gateway's /openapi.json: registered before the token check.
  serveDocument(app, routes.openapi, {
    info: ADMIN_INFO,
    schemas: ADMIN_SCHEMAS,
    securitySchemes: ADMIN_SECURITY_SCHEMES,
  });

  const limit = new AuthLimit({ max: d.authFailures, windowMs: d.authWindowMs });
  const proxies = d.trustedProxies ? trustList(d.trustedProxies) : undefined;
  app.use('/v1/admin/*', async (c, next) => {
    const source = clientAddress(c, proxies);
    const wait = limit.blockedFor(source);
    if (wait > 0) {
      throw new AltoError(
        'too_many_attempts',
        `too many failed admin authentications from ${source}; try again in ${Math.ceil(wait / 1000)} s`,
      );
    }
    if (d.tokens.length === 0) {
      throw new AltoError(
        'unauthorized',
        'the admin API is disabled: set ALTO_ADMIN_TOKEN or ALTO_ADMIN_TOKENS on the publisher',
      );
    }
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const actor = m ? matchToken(d.tokens, m[1]!) : undefined;
    if (!actor) {
      limit.fail(source);
      d.log.warn({ source, path: c.req.path }, 'admin authentication failed');
      throw new AltoError(
        'unauthorized',
        m ? "header 'Authorization': wrong admin token" : "header 'Authorization': expected 'Bearer <admin token>'",
      );
    }
    const needs = c.req.method === 'GET' || c.req.method === 'HEAD' ? 'read' : 'write';
    if (!allows(actor, needs)) {
      throw new AltoError(
        'forbidden',
        `admin token '${actor.name}' is ${actor.scope}-only; ${c.req.method} ${c.req.path} needs a ${needs} token`,
      );
    }
    (c as unknown as Context<AdminEnv>).set('actor', actor);
    (c as unknown as Context<AdminEnv>).set('source', source);
    await next();
  });

  /** Appends the audit event of an action `c` made. */
  const audit = (c: Context, e: Omit<AuditInput, 'actor' | 'source'>) => {
    const ctx = c as unknown as Context<AdminEnv>;
    return appendAudit(
      d.redis,
      { ...e, actor: ctx.get('actor').name, source: ctx.get('source') },
      { key: d.store.keys.audit, log: d.log, maxEvents: d.auditMaxEvents },
    );
  };

  const view = async (spec: ModelSpec) => {
    const [states, reports] = await Promise.all([d.store.states(), d.store.reports()]);
    return modelView(spec, states.get(spec.name), reports.values(), now(), d.workerTimeoutMs);
  };
  // On what the uri resolves to (every symlink followed), not on its spelling.
  const checkUri = async (uri: string) => {
    await assertAllowedResolved(uri, d.allowedRoots);
    openSource(uri); // throws on a URI it cannot read from
  };

  mount(app, routes.listModels, async (c) => {
    const [specs, states, reports] = await Promise.all([d.store.specs(), d.store.states(), d.store.reports()]);
    const models = [...specs.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((s) => modelView(s, states.get(s.name), reports.values(), now(), d.workerTimeoutMs));
    return c.json({ models }, 200);
  });

  mount(app, routes.getModel, async (c) => {
    const { name } = c.req.valid('param');
    const spec = await d.store.spec(name);
    if (!spec) throw new AltoError('model_not_found', `model '${name}' is not published`);
    return c.json(await view(spec), 200);
  });

  mount(app, routes.publish, async (c) => {
    const req = parse(PublishRequestSchema, await json(c));
    await checkUri(req.uri);
    const at = now();
    const spec: ModelSpec = { ...req, created_at: at, updated_at: at };
    if (!(await d.store.createSpec(spec))) {
      throw new AltoError(
        'model_exists',
        `model '${req.name}' is already published; change it with PATCH /v1/admin/models/${req.name}`,
      );
    }
    d.log.info({ model: spec.name, uri: spec.uri, replicas: spec.replicas, version: spec.version }, 'model published');
    await audit(c, { action: 'model.publish', target: spec.name, before: null, after: spec });
    return c.json(await view(spec), 201);
  });

  mount(app, routes.update, async (c) => {
    const { name } = c.req.valid('param');
    const body = await json(c);
    if (body && typeof body === 'object' && 'name' in body && (body as { name: unknown }).name !== name) {
      throw new AltoError(
        'invalid_input',
        `name: a model's name is immutable (it is '${name}'); publish a new model instead`,
      );
    }
    const { name: _n, ...rest } = (body ?? {}) as Record<string, unknown>;
    const changes = parse(UpdateRequestSchema, rest);
    if (changes.uri !== undefined) await checkUri(changes.uri);
    const spec = await d.store.spec(name);
    if (!spec) throw new AltoError('model_not_found', `model '${name}' is not published`);
    const next: ModelSpec = { ...spec, ...changes, name, updated_at: Math.max(now(), spec.updated_at + 1) };
    for (const [k, v] of Object.entries(changes)) if (v === undefined) delete (next as Record<string, unknown>)[k];
    await d.store.putSpec(next);
    d.log.info({ model: name, changes }, 'model updated');
    await audit(c, { action: 'model.update', target: name, before: spec, after: next });
    return c.json(await view(next), 200);
  });

  mount(app, routes.unpublish, async (c) => {
    const { name } = c.req.valid('param');
    const before = await d.store.spec(name);
    if (!(await d.store.deleteSpec(name))) throw new AltoError('model_not_found', `model '${name}' is not published`);
    const failed = await d.predictions.failQueued(
      name,
      UNPUBLISHED,
      `model '${name}' was unpublished before this prediction started`,
      d.retentionMs,
    );
    d.log.info({ model: name, failed_queued: failed }, 'model unpublished');
    await audit(c, {
      action: 'model.unpublish',
      target: name,
      before: before ?? null,
      after: { failed_queued: failed },
    });
    return c.json({ name, unpublished: true as const, failed_queued: failed }, 200);
  });

  mount(app, routes.deadLetters, async (c) => {
    const { name } = c.req.valid('param');
    const { limit = 100, after = '-' } = c.req.valid('query');
    const [count, entries] = await Promise.all([d.deadLetters.count(name), d.deadLetters.list(name, limit, after)]);
    return c.json(
      { model: name, count, dead_letters: entries, next: entries.length === limit ? entries.at(-1)!.entry : null },
      200,
    );
  });

  mount(app, routes.replay, async (c) => {
    const { name } = c.req.valid('param');
    const text = await c.req.text();
    const body = parse(ReplayRequestSchema, text.trim() === '' ? {} : jsonOf(text));
    const replayed = await d.deadLetters.replay(name, body.entries);
    d.log.info({ model: name, replayed }, 'dead letters replayed');
    await audit(c, {
      action: 'dead_letters.replay',
      target: name,
      before: { entries: body.entries ?? 'all' },
      after: { replayed },
    });
    return c.json({ model: name, replayed }, 200);
  });

  mount(app, routes.listWorkers, async (c) => {
    const [all, drained] = await Promise.all([d.store.reports(), d.store.drained()]);
    const reports = [...all.values()].sort((a, b) => a.id.localeCompare(b.id));
    return c.json({ workers: reports.map((r) => workerView(r, now(), d.workerTimeoutMs, drained.has(r.id))) }, 200);
  });

  // Drain (kubectl-style): the worker's models move elsewhere, then it finishes what it holds and unloads.
  const drain = (value: boolean) => async (c: Context) => {
    const id = c.req.param('id')!;
    if (!(await d.store.reports()).has(id)) throw new AltoError('not_found', `no worker '${id}' is registered`);
    const was = (await d.store.drained()).has(id);
    await d.store.setDrained(id, value);
    d.log.info({ worker: id }, value ? 'worker drained' : 'worker returned to service');
    await audit(c, {
      action: value ? 'worker.drain' : 'worker.undrain',
      target: id,
      before: { drained: was },
      after: { drained: value },
    });
    return c.json({ id, drained: value }, 200);
  };
  mount(app, routes.drain, drain(true));
  mount(app, routes.undrain, drain(false));

  mount(app, routes.whoami, (c) => {
    const actor = (c as unknown as Context<AdminEnv>).get('actor');
    return c.json({ name: actor.name, scope: actor.scope }, 200);
  });

  mount(app, routes.audit, async (c) => {
    const { limit = 100, before } = c.req.valid('query');
    return c.json(await readAudit(d.redis, d.store.keys.audit, limit, before), 200);
  });

  // A fresh sample per request: a request queued at zero shows at once.
  mount(app, routes.scaling, async (c) => c.json(await d.scaling.sample(), 200));

  mount(app, routes.scalingPool, async (c) => {
    const { pool } = c.req.valid('param');
    const { pools } = await d.scaling.sample();
    const found = pools.find((p) => p.pool === pool);
    if (!found) {
      const known = pools.map((p) => p.pool).join(', ') || 'none';
      throw new AltoError('not_found', `no model or live worker is in pool '${pool}' (pools: ${known})`);
    }
    return c.json(found, 200);
  });

  mount(app, routes.listKeys, async (c) => c.json({ keys: await listApiKeys(d.redis, d.store.keys) }, 200));

  mount(app, routes.getKey, async (c) => {
    const { id } = c.req.valid('param');
    const key = await getApiKey(d.redis, d.store.keys, id);
    if (!key) throw new AltoError('not_found', `no API key '${id}' exists`);
    return c.json(key, 200);
  });

  mount(app, routes.createKey, async (c) => {
    const req = parse(ApiKeyCreateRequestSchema, await json(c));
    const { record, created } = await createApiKey(d.redis, d.store.keys, req);
    const { secret: _s, ...shown } = created;
    d.log.info({ api_key: record.id, name: record.name, owner: record.owner }, 'API key created');
    await audit(c, { action: 'key.create', target: record.id, before: null, after: shown });
    return c.json(created, 201);
  });

  mount(app, routes.revokeKey, async (c) => {
    const { id } = c.req.valid('param');
    const changed = await revokeApiKey(d.redis, d.store.keys, id);
    if (!changed) throw new AltoError('not_found', `no API key '${id}' exists`);
    d.log.info({ api_key: id }, 'API key revoked');
    await audit(c, { action: 'key.revoke', target: id, before: changed.before, after: changed.after });
    return c.json(changed.after, 200);
  });

  return app;
}
