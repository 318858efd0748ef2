// Publisher entry point: `node --import tsx apps/publisher/src/main.ts`. Serves the admin
// API; campaigns for the leader lease; while leading, reconciles every ALTO_RECONCILE_MS.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { listen } from '@alto/procs';
import { envOrExit, redisTlsOf } from '@alto/config';
import { ControlStore } from '@alto/control';
import { DeadLetters, PredictionStore, assertNoEviction, connect, keys as makeKeys } from '@alto/queue';
import { createLogger, startTracing, tracingSettings } from '@alto/telemetry';
import { createAdminApp } from './admin.ts';
import { collectAdminTokens } from './admin-tokens.ts';
import { loadEnv } from './env.ts';
import { createPublisherMetrics } from './metrics.ts';
import { publishOnStart } from './bootstrap.ts';
import { Leadership } from './leadership.ts';
import { Reconciler } from './reconcile.ts';
import { releaseEntries } from './release.ts';
import { VersionWatcher } from './versions.ts';
import { ScalingSampler } from './scaling/sampler.ts';

const env = envOrExit('publisher', () => loadEnv(process.env, ['STORAGE_EMULATOR_HOST']));
const log = createLogger({ name: 'publisher', level: env.ALTO_LOG_LEVEL });
// Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/operations.md).
const tracing = await startTracing(tracingSettings('publisher', process.env));

try {
  const keys = makeKeys(env.ALTO_PREFIX);
  const redis = await connect(env.REDIS_URL, {
    name: `alto-publisher:${env.ALTO_PUBLISHER_ID}`,
    cluster: env.ALTO_REDIS_CLUSTER,
    tls: redisTlsOf(env),
  });
  await assertNoEviction(redis);
  const store = new ControlStore(redis, keys);
  const metrics = createPublisherMetrics(env.ALTO_PUBLISHER_ID);
  const reconciler = new Reconciler({
    metrics,
    store,
    log,
    watcher: new VersionWatcher(env.ALTO_WATCH_INTERVAL_MS, env.ALTO_ALLOWED_ROOTS),
    workerTimeoutMs: env.ALTO_WORKER_TIMEOUT_MS,
    onDead: async (report) => {
      const released = await releaseEntries(redis, keys, report);
      if (released > 0)
        log.info({ worker: report.id, entries: released }, "released a dead worker's entries for takeover");
    },
  });
  const leadership = new Leadership({
    store,
    id: env.ALTO_PUBLISHER_ID,
    leaseMs: env.ALTO_LEASE_MS,
    reconcileMs: env.ALTO_RECONCILE_MS,
    reconciler,
    log,
    metrics,
  });
  const tokens = collectAdminTokens({
    token: env.ALTO_ADMIN_TOKEN,
    tokens: env.ALTO_ADMIN_TOKENS,
    fileText: env.ALTO_ADMIN_TOKENS_FILE === undefined ? undefined : readFileSync(env.ALTO_ADMIN_TOKENS_FILE, 'utf8'),
  });
  if (tokens.length === 0)
    log.warn('no admin token is set (ALTO_ADMIN_TOKEN, ALTO_ADMIN_TOKENS): the admin API refuses every request');
  else log.info({ tokens: tokens.map((t) => `${t.name}:${t.scope}`) }, 'admin tokens');
  const scaling = new ScalingSampler({
    redis,
    keys,
    store,
    log,
    metrics,
    workerTimeoutMs: env.ALTO_WORKER_TIMEOUT_MS,
    settings: { targetDrainS: env.ALTO_SCALE_TARGET_DRAIN_S, idleS: env.ALTO_SCALE_IDLE_S },
  });
  if (env.ALTO_ALLOWED_ROOTS.length === 0) log.warn('ALTO_ALLOWED_ROOTS is not set: nothing can be published');
  const app = createAdminApp({
    store,
    predictions: new PredictionStore(redis, keys),
    deadLetters: new DeadLetters(redis, keys),
    log,
    redis,
    tokens,
    trustedProxies: env.ALTO_ADMIN_TRUSTED_PROXIES,
    authFailures: env.ALTO_ADMIN_AUTH_FAILURES,
    authWindowMs: env.ALTO_ADMIN_AUTH_WINDOW_MS,
    auditMaxEvents: env.ALTO_AUDIT_MAX_EVENTS,
    allowedRoots: env.ALTO_ALLOWED_ROOTS,
    workerTimeoutMs: env.ALTO_WORKER_TIMEOUT_MS,
    retentionMs: env.ALTO_RETENTION_SECONDS * 1000,
    leading: () => leadership.leading,
    metrics,
    scaling,
  });
  const server = createServer(getRequestListener(app.fetch));
  const port = await listen(server, env.ALTO_ADMIN_PORT, env.ALTO_ADMIN_HOST, 'ALTO_ADMIN_PORT');
  log.info(
    { id: env.ALTO_PUBLISHER_ID, url: `http://${env.ALTO_ADMIN_HOST}:${port}`, roots: env.ALTO_ALLOWED_ROOTS },
    'publisher listening',
  );
  if (env.ALTO_PUBLISH_ON_START)
    await publishOnStart(store, env.ALTO_PUBLISH_ON_START, env.ALTO_ALLOWED_ROOTS, log, {
      redis,
      maxEvents: env.ALTO_AUDIT_MAX_EVENTS,
    });
  leadership.start();
  scaling.start();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'publisher stopping');
    setTimeout(() => process.exit(0), 5000).unref();
    scaling.stop();
    await leadership.stop();
    server.close();
    redis.disconnect();
    await tracing.shutdown().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
} catch (err) {
  log.fatal({ err }, 'publisher failed to start');
  process.exit(1);
}
