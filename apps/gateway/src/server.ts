// Wires the gateway: Redis connections, registry, completion hub, HTTP server.
import { redisTlsOf } from '@alto/config';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { getRequestListener, type ServerType } from '@hono/node-server';
import {
  CachedRegistry,
  CompletionHub,
  ApiKeyRing,
  MemoryGauge,
  OwnerIndex,
  PredictionStore,
  RedisModelRegistry,
  assertNoEviction,
  connect,
  connectLike,
  keys as makeKeys,
} from '@alto/queue';
import { BatchRunner, BatchStore, batchKeys } from '@alto/batches';
import { listen } from '@alto/procs';
import type { Logger } from '@alto/telemetry';
import { AddressPolicy } from '@alto/webhooks';
import { createApp, type GatewayDeps } from './app.ts';
import { payloadRefs } from './payloads.ts';
import { createConsole } from './console/index.ts';
import { oipDeps } from './oip/deps.ts';
import { startOipGrpc } from './oip/grpc.ts';
import { createAuth } from './auth.ts';
import { batchFailpoint } from './batch-failpoint.ts';
import { batchFeed } from './batch-feed.ts';
import { batchMetrics } from './batch-metrics.ts';
import { predictions } from './submit.ts';
import { keyLimits } from './key-limits.ts';
import type { GatewayEnv } from './env.ts';
import { answerClientError, refusedRequest } from './errors.ts';
import { createGatewayMetrics } from './metrics.ts';
import { webhookGate } from './webhook.ts';

export interface Gateway {
  server: ServerType;
  port: number;
  /** The Open Inference Protocol's gRPC port, when ALTO_GRPC_PORT is set. */
  grpcPort?: number;
  close(): Promise<void>;
}

export async function startGateway(env: GatewayEnv, log: Logger): Promise<Gateway> {
  const keys = makeKeys(env.ALTO_PREFIX);
  // Request-serving connection: fail fast while Redis is down (503 within a second).
  const redis = await connect(env.REDIS_URL, {
    name: 'alto-gateway',
    failFast: true,
    cluster: env.ALTO_REDIS_CLUSTER,
    tls: redisTlsOf(env),
  });
  await assertNoEviction(redis).catch((err: unknown) => {
    redis.disconnect();
    throw err;
  });
  const status = new RedisModelRegistry(redis, keys);
  const models = new CachedRegistry(status, 1000);
  const memory = new MemoryGauge(redis, { highWater: env.ALTO_REDIS_MEMORY_HIGH_WATER });
  const metrics = createGatewayMetrics(models, status, memory);
  // A name of this process's own: its completion channels are its alone, and a restarted
  // gateway (whose held requests ended with it) starts on fresh ones.
  const gatewayId = randomBytes(6).toString('hex');
  const subscriber = await connectLike(redis, {
    name: `alto-gateway:completions:${gatewayId}`,
    shardedSubscribers: true,
  });
  const hub = new CompletionHub(subscriber, {
    keys,
    gateway: gatewayId,
    onNotice: (channel) => metrics.notices.inc({ channel }),
  });
  await hub.start();
  // The publisher announces catalog changes (e.g. an unpublish): drop the cache at once.
  const catalogEvents = await connectLike(redis, { name: 'alto-gateway:catalog' });
  catalogEvents.on('message', () => models.invalidate());
  await catalogEvents.subscribe(keys.catalogChannel);
  const store = new PredictionStore(redis, keys, {
    replicas: env.ALTO_REDIS_WAIT_REPLICAS,
    timeoutMs: env.ALTO_REDIS_WAIT_TIMEOUT_MS,
  });
  const deps: GatewayDeps = {
    redis,
    keys,
    memory,
    store,
    owners: new OwnerIndex(redis, keys, store),
    auth: createAuth(
      env.ALTO_API_KEYS,
      env.ALTO_MANAGED_API_KEYS ? new ApiKeyRing(redis, keys, { ttlMs: env.ALTO_API_KEY_CACHE_MS }) : undefined,
    ),
    ...(env.ALTO_MANAGED_API_KEYS ? { keyLimits: keyLimits({ redis, keys, store, metrics }) } : {}),
    models,
    status,
    hub,
    metrics,
    log,
    maxBodyBytes: env.ALTO_MAX_BODY_BYTES,
    maxWaitSeconds: env.ALTO_MAX_WAIT_SECONDS,
    oipInferTimeoutSeconds: env.ALTO_OIP_INFER_TIMEOUT_SECONDS,
    bytesLimits: { elementMaxBytes: env.ALTO_BYTES_ELEMENT_MAX_BYTES, totalMaxBytes: env.ALTO_BYTES_TOTAL_MAX_BYTES },
    retentionMs: env.ALTO_RETENTION_SECONDS * 1000,
    webhooks: webhookGate(new AddressPolicy(env.ALTO_WEBHOOK_ALLOW_CIDRS)),
    ...(env.ALTO_PUBLIC_URL ? { publicUrl: env.ALTO_PUBLIC_URL.replace(/\/$/, '') } : {}),
    ...(env.ALTO_PUBLISHER_URL ? { publisherUrl: env.ALTO_PUBLISHER_URL } : {}),
    payloads: payloadRefs(env.ALTO_PAYLOAD_ROOTS),
    ...(env.ALTO_PUBLISHER_URL
      ? {
          console: createConsole(
            {
              publisherUrl: env.ALTO_PUBLISHER_URL,
              ...(env.ALTO_CONSOLE_SECRET ? { secret: env.ALTO_CONSOLE_SECRET } : {}),
              ...(env.ALTO_CONSOLE_TRACE_URL ? { traceUrl: env.ALTO_CONSOLE_TRACE_URL } : {}),
              sampleIntervalMs: env.ALTO_CONSOLE_SAMPLE_MS,
              ...(env.ALTO_PUBLIC_URL ? { publicUrl: env.ALTO_PUBLIC_URL.replace(/\/$/, '') } : {}),
            },
            { redis, keys, models: status, store },
          ),
        }
      : {}),
  };
  const batches = new BatchStore(redis, batchKeys(env.ALTO_PREFIX));
  deps.batches = { batches, payloadRoots: env.ALTO_PAYLOAD_ROOTS };
  const app = createApp(deps);
  // @hono/node-server's serve(), plus answers in the API's error format for requests refused
  // before the app sees them.
  const listener = getRequestListener(app.fetch, {
    hostname: env.ALTO_HOST,
    errorHandler: (err) => refusedRequest(err, log),
  });
  const server: ServerType = createServer(listener);
  server.on('clientError', answerClientError);
  const port = await listen(server, env.PORT, env.ALTO_HOST, 'PORT');
  const grpc =
    env.ALTO_GRPC_PORT === undefined
      ? undefined
      : await startOipGrpc(oipDeps(deps), env.ALTO_HOST, env.ALTO_GRPC_PORT).catch((err: unknown) => {
          server.close();
          throw err;
        });
  // Feeds batch jobs whose lease no other gateway holds (docs/batches.md).
  const limits = deps.keyLimits;
  const runner = new BatchRunner({
    store: batches,
    queueKeys: keys,
    feed: batchFeed({
      redis,
      keys,
      predictions: predictions(deps),
      models,
      status,
      store,
      webhooks: deps.webhooks,
      retentionMs: deps.retentionMs,
      origin: deps.publicUrl ?? `http://${env.ALTO_HOST}:${port}`,
      ...(deps.payloads ? { payloads: deps.payloads } : {}),
      ...(limits ? { release: (key, id) => limits.release(key, id) } : {}),
    }),
    log,
    metrics: batchMetrics(metrics.registry),
    window: env.ALTO_BATCH_WINDOW,
    retentionMs: deps.retentionMs,
    objects: { roots: env.ALTO_PAYLOAD_ROOTS },
    ...(env.ALTO_FAILPOINT_BATCH ? { failpoint: batchFailpoint(env.ALTO_FAILPOINT_BATCH)! } : {}),
  });
  runner.start();
  return {
    server,
    port,
    ...(grpc ? { grpcPort: grpc.port } : {}),
    async close() {
      await runner.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const grpcClosed = grpc?.close();
      // Answers held `Prefer: wait` requests with their current state, so close can finish.
      deps.console?.sampler.stop();
      await hub.stop();
      await closed;
      await grpcClosed;
      catalogEvents.disconnect();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
