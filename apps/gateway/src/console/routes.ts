// The web console under /console: the login form, the built page and its assets, and the
// console's API. That API acts with the session's admin token: /console/api/admin/* is the
// publisher's admin API (the token added here, never seen by the page's scripts), the rest
// reads what only the gateway has (charts, recent predictions, any prediction by id) or
// runs a prediction from the playground. Every state-changing call passes csrfRefusal.
import type { IncomingMessage } from 'node:http';
import { AltoError, renderPrediction, type PredictionRecord } from '@alto/protocol';
import type { PredictionStore } from '@alto/queue';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Redis } from 'ioredis';
import { SECURITY_HEADERS, assetResponse, loadAssets, type Asset } from './assets.ts';
import { loginPage } from './login-page.ts';
import type { Sampler } from './sampler.ts';
import type { Accepted } from './series.ts';
import { CSRF_HEADER, csrfRefusal, readCookie, sessionCookie, sessionSeal, type Session } from './session.ts';

/** How long a login lasts. */
export const SESSION_TTL_MS = 12 * 3600_000;

export interface ConsoleDeps {
  publisherUrl: string;
  /** Seals session cookies; gateways that share it share sessions. */
  secret: string;
  /** Link template of a trace, `{trace_id}` replaced. @default none: no link */
  traceUrl?: string;
  /** The key of the publisher leader lease (holds the leader's id). */
  leaderKey: string;
  /** The Redis key marking a session logged out. */
  revokedKey: (s: Session) => string;
  redis: Redis;
  store: PredictionStore;
  sampler: Sampler;
  accepted: Accepted;
  publicUrl?: string;
  /** The built files. @default loadAssets() */
  assets?: Map<string, Asset>;
}

const peerOf = (c: Context) =>
  (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket?.remoteAddress ?? undefined;

/** Whether the browser reached the console over TLS (directly, or as the public URL says). */
const overTls = (c: Context, publicUrl: string | undefined) =>
  new URL(c.req.url).protocol === 'https:' || (publicUrl ?? '').startsWith('https:');

const html = (body: string, status = 200) =>
  new Response(body, {
    status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  });

/** A prediction as the console lists it: without its outputs, which may be large. */
const summary = (r: PredictionRecord, origin: string) => ({ ...renderPrediction(r, origin), output: null });

export function mountConsole(app: OpenAPIHono, d: ConsoleDeps): void {
  const seal = sessionSeal(d.secret);
  const assets = d.assets ?? loadAssets();
  const origin = (c: Context) => d.publicUrl ?? new URL(c.req.url).origin;
  /** The request's session: its cookie opens and it was not logged out (on any gateway). */
  const session = async (c: Context): Promise<Session | undefined> => {
    const s = seal.open(readCookie(c.req.header('cookie')));
    if (!s) return undefined;
    return (await d.redis.exists(d.revokedKey(s))) === 1 ? undefined : s;
  };

  /** Calls the publisher's admin API with `token`, the client's address appended to X-Forwarded-For. */
  const publisher = async (c: Context, token: string, path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    const peer = peerOf(c);
    if (peer) headers.set('x-forwarded-for', peer);
    try {
      return await fetch(new URL(path, d.publisherUrl), { ...init, headers, redirect: 'manual' });
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause ?? (err as Error);
      throw new AltoError(
        'control_plane_unavailable',
        `the publisher at ${d.publisherUrl} cannot be reached: ${cause.message}`,
        true,
      );
    }
  };

  const requireSession = async (c: Context): Promise<Session> => {
    const s = await session(c);
    if (!s) throw new AltoError('unauthorized', 'console: not logged in, or the session has expired; log in again');
    return s;
  };

  /** `formToken`: the token a plain form posted (logout), where no script can set a header. */
  const requireCsrf = (c: Context, s: Session | undefined, formToken?: string) => {
    const csrf = c.req.header(CSRF_HEADER) ?? formToken;
    const refusal = csrfRefusal(
      { origin: c.req.header('origin'), referer: c.req.header('referer'), csrf },
      origin(c),
      s,
    );
    if (refusal) throw new AltoError('forbidden', `console: ${refusal}`);
  };

  app.get('/console', (c) => c.redirect('/console/', 302));

  app.get('/console/', async (c) => {
    if (!(await session(c))) return c.redirect('/console/login', 303);
    if (!assets) {
      return html(
        loginPage('The console was not built: run `node scripts/build-console.mjs` (npm ci runs it) and restart.'),
        503,
      );
    }
    return assetResponse(assets.get('index.html')!, undefined);
  });

  app.get('/console/assets/:file', (c) => {
    const a = assets?.get(c.req.param('file'));
    if (!a || c.req.param('file') === 'index.html') throw new AltoError('not_found', 'console: no such asset');
    return assetResponse(a, c.req.header('if-none-match'));
  });

  app.get('/console/login', () => html(loginPage()));

  app.post('/console/login', async (c) => {
    requireCsrf(c, undefined);
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const token = typeof form.token === 'string' ? form.token.trim() : '';
    if (!token) return html(loginPage('Enter an admin token.'), 400);
    const r = await publisher(c, token, '/v1/admin/whoami').catch((err: AltoError) => err);
    if (r instanceof Error) return html(loginPage(r.message), 503);
    if (r.status === 401) return html(loginPage('That admin token is not valid.'), 401);
    if (r.status === 429) return html(loginPage('Too many failed attempts from this address; try again later.'), 429);
    if (!r.ok) return html(loginPage(`The publisher answered ${r.status}; try again.`), 502);
    const s = seal.create(token, SESSION_TTL_MS);
    const cookie = sessionCookie(seal.seal(s), {
      secure: overTls(c, d.publicUrl),
      maxAgeSeconds: SESSION_TTL_MS / 1000,
    });
    return new Response(null, { status: 303, headers: { location: '/console/', 'set-cookie': cookie } });
  });

  app.post('/console/logout', async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const s = await session(c);
    requireCsrf(c, s, typeof form.csrf === 'string' ? form.csrf : undefined);
    // Remembered until it would have expired, so a copy of the cookie is refused too.
    if (s) await d.redis.set(d.revokedKey(s), '1', 'PX', Math.max(1, s.exp - Date.now()));
    const cookie = sessionCookie('', { secure: overTls(c, d.publicUrl), maxAgeSeconds: 0 });
    return new Response(null, { status: 303, headers: { location: '/console/login', 'set-cookie': cookie } });
  });

  // Everything below acts for a logged-in operator; non-GET calls also need the CSRF token.
  app.use('/console/api/*', async (c, next) => {
    const s = await requireSession(c);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') requireCsrf(c, s);
    await next();
    c.header('cache-control', 'no-store');
  });
  // Opened again where a handler needs it: no request-scoped state.
  const sessionOf = requireSession;

  app.get('/console/api/session', async (c) => {
    const s = await sessionOf(c);
    const r = await publisher(c, s.token, '/v1/admin/whoami');
    if (!r.ok) return new Response(r.body, { status: r.status, headers: { 'content-type': 'application/json' } });
    const who = (await r.json()) as { name: string; scope: string };
    return c.json({
      ...who,
      csrf: s.csrf,
      expires_at: new Date(s.exp).toISOString(),
      trace_url: d.traceUrl ?? null,
      sample_interval_ms: d.sampler.intervalMs,
    });
  });

  app.all('/console/api/admin/*', async (c) => {
    const s = await sessionOf(c);
    const url = new URL(c.req.url);
    const path = `/v1${url.pathname.slice('/console/api'.length)}${url.search}`;
    const method = c.req.method;
    const body = method === 'GET' || method === 'HEAD' ? undefined : await c.req.text();
    const headers: Record<string, string> = {};
    if (body) headers['content-type'] = c.req.header('content-type') ?? 'application/json';
    const r = await publisher(c, s.token, path, { method, headers, ...(body ? { body } : {}) });
    return new Response(r.body, {
      status: r.status,
      headers: { 'content-type': r.headers.get('content-type') ?? 'application/json' },
    });
  });

  app.get('/console/api/stats', async (c) => {
    const leader = await d.redis.get(d.leaderKey).catch(() => null);
    return c.json({ now: Date.now(), leader, series: d.sampler.series() });
  });

  app.get('/console/api/models/:name/predictions', async (c) => {
    const limit = Math.min(100, Math.max(1, Number(c.req.query('limit') ?? 10) || 10));
    const ids = d.accepted.newest(c.req.param('name'), limit);
    const records = await Promise.all(ids.map((id) => d.store.get(id)));
    const list = records.filter((r): r is PredictionRecord => r !== undefined).map((r) => summary(r, origin(c)));
    return c.json({ predictions: list });
  });

  app.get('/console/api/predictions/:id', async (c) => {
    const id = c.req.param('id');
    const record = await d.store.get(id);
    if (!record) throw new AltoError('prediction_not_found', `prediction '${id}' does not exist or has expired`);
    return c.json(renderPrediction(record, origin(c)));
  });

  // The playground: the same route and validation as any client's, waiting for the answer.
  app.post('/console/api/models/:name/predictions', async (c) => {
    const headers = new Headers({ 'content-type': 'application/json', prefer: 'wait=30' });
    const key = c.req.header('x-alto-api-key');
    if (key) headers.set('authorization', `Bearer ${key}`);
    const target = new URL(`/v1/models/${encodeURIComponent(c.req.param('name'))}/predictions`, c.req.url);
    // No env: the body is this Request's, not the (already read) incoming message's.
    return app.fetch(new Request(target, { method: 'POST', headers, body: await c.req.arrayBuffer() }), {});
  });
}
