// A gateway holding `Prefer: wait` requests must not miss a completion that was published
// while its pub/sub connection was down: it re-checks its waiters after reconnecting.
import type { ModelInfo } from '@alto/protocol';
import { RedisModelRegistry, StreamConsumer, connect, encodeOutputs, keys as makeKeys } from './support/queue-kit.ts';
import { createLogger } from '@alto/telemetry';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadEnv } from '../apps/gateway/src/env.ts';
import { startGateway, type Gateway } from '../apps/gateway/src/server.ts';
import { testPrefix } from './support/fleet.ts';
import { waitFor } from './support/wait.ts';
import type { Redis } from 'ioredis';

const model: ModelInfo = {
  name: 'echo',
  version: '1',
  versions: ['1'],
  platform: 'onnx',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }],
  outputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }],
  batching: { max_batch_size: 4, max_queue_delay_ms: 0 },
};

describe('Prefer: wait across a pub/sub disconnect', () => {
  const url = inject('redisUrl');
  const prefix = testPrefix('waitrecovery');
  const keys = makeKeys(prefix);
  let gateway: Gateway;
  let redis: Redis;
  let blocking: Redis;

  beforeAll(async () => {
    redis = await connect(url, { name: 'test' });
    blocking = await connect(url, { name: 'test-blocking' });
    await new RedisModelRegistry(redis, keys).put(model);
    gateway = await startGateway(
      loadEnv({ REDIS_URL: url, ALTO_PREFIX: prefix, PORT: '0' }),
      createLogger({ name: 'gateway', level: 'silent' }),
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await redis?.quit();
    await blocking?.quit();
  });

  it('answers 200 with the result even though the completion notice was lost', async () => {
    const consumer = new StreamConsumer(blocking, redis, keys, { model: 'echo', consumer: 'w' });
    await consumer.ensureGroup();
    const started = Date.now();
    const reply = fetch(`http://127.0.0.1:${gateway.port}/v1/models/echo/predictions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'wait=20' },
      body: JSON.stringify({ input: { x: { datatype: 'FP32', shape: [1, 1], data: [3] } } }),
    });
    const [entry] = await waitFor(
      async () => {
        const got = await consumer.read(1, 100);
        return got.length > 0 ? got : undefined;
      },
      { what: 'the request in the stream' },
    );
    const run = (await consumer.start([entry!])).run;

    // Cut the gateway's subscription, and complete while it is reconnecting: the notice is lost.
    await redis.client('KILL', 'TYPE', 'pubsub');
    await consumer.complete(
      run.map((e) => ({
        entry: e,
        outcome: { kind: 'succeeded' as const, outputs: encodeOutputs(e), queueMs: 0, predictMs: 0, batchSize: 1 },
      })),
    );

    const res = await reply;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('succeeded');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
