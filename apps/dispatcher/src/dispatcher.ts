// Wires the dispatcher: the relay from the outboxes into the `webhooks` BullMQ queue, and the
// BullMQ worker that delivers. Both only use Redis, so any number of dispatchers may run.
import { redisTlsOf } from '@alto/config';
import { Outbox, PredictionStore, assertNoEviction, connect, keys as makeKeys } from '@alto/queue';
import type { Logger } from '@alto/telemetry';
import { AddressPolicy, Deliverer } from '@alto/webhooks';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { backoffStrategy, deliveryProcessor } from './deliveries.ts';
import type { DispatcherEnv } from './env.ts';
import { BACKLOG_STATES, createDispatcherMetrics, type DispatcherMetrics } from './metrics.ts';
import { Relay, WEBHOOK_QUEUE, type DeliveryJob } from './relay.ts';
import { batchDelivery } from './batch-events.ts';
import { BatchStore, batchKeys } from '@alto/batches';

export interface Dispatcher {
  metrics: DispatcherMetrics;
  close(): Promise<void>;
}

export async function startDispatcher(env: DispatcherEnv, log: Logger): Promise<Dispatcher> {
  const keys = makeKeys(env.ALTO_PREFIX);
  const conns: Redis[] = [];
  const open = async (name: string) => {
    const c = await connect(env.REDIS_URL, { name, cluster: env.ALTO_REDIS_CLUSTER, tls: redisTlsOf(env) });
    conns.push(c);
    return c;
  };
  try {
    const redis = await open('alto-dispatcher');
    await assertNoEviction(redis);
    const outbox = new Outbox(redis, keys, env.ALTO_DISPATCHER_ID, await open('alto-dispatcher:outbox'));
    const bull = await open('alto-dispatcher:bullmq');
    const schedule = env.ALTO_WEBHOOK_RETRY_SCHEDULE;
    const queue = new Queue<DeliveryJob>(WEBHOOK_QUEUE, { connection: bull, prefix: keys.webhookQueuePrefix });
    const deliverer = new Deliverer({
      keys: env.keys,
      policy: new AddressPolicy(env.ALTO_WEBHOOK_ALLOW_CIDRS),
      timeoutMs: env.ALTO_WEBHOOK_TIMEOUT_MS,
    });
    // A dispatcher that dies mid-delivery leaves its job locked; after lockDuration another
    // (or the same, restarted) picks it up again. Locks are renewed while a delivery runs, so
    // the bound is about how soon a crash is noticed, not how long a delivery may take.
    const lockDuration = env.ALTO_WEBHOOK_TIMEOUT_MS + 5000;
    const metrics = createDispatcherMetrics(env.ALTO_DISPATCHER_ID, () => queue.getJobCounts(...BACKLOG_STATES));
    const processor = deliveryProcessor({ deliverer, outbox, schedule, log, metrics });
    const worker = new Worker<DeliveryJob>(WEBHOOK_QUEUE, processor, {
      connection: bull,
      prefix: keys.webhookQueuePrefix,
      concurrency: env.ALTO_WEBHOOK_CONCURRENCY,
      lockDuration,
      stalledInterval: lockDuration,
      // Crashes while delivering do not use up the event: only answered attempts count.
      maxStalledCount: 100,
      settings: { backoffStrategy: backoffStrategy(schedule) },
    });
    worker.on('error', (err) => log.warn({ err: err.message }, 'webhook worker error'));
    await worker.waitUntilReady();
    const batches = new BatchStore(redis, batchKeys(env.ALTO_PREFIX));
    const relay = new Relay(outbox, new PredictionStore(redis, keys), queue, {
      schedule,
      log,
      batchEvent: (e) => batchDelivery(batches, e.predictionId, e.at),
    });
    relay.start();
    return {
      metrics,
      async close() {
        await relay.stop();
        // Waits for deliveries in flight (each bounded by the attempt timeout).
        await worker.close();
        await queue.close();
        deliverer.close();
        await Promise.all(conns.map((c) => c.quit().catch(() => c.disconnect())));
      },
    };
  } catch (err) {
    for (const c of conns) c.disconnect();
    throw err;
  }
}
