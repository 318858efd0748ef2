// While Redis is down the gateway answers 503 quickly and /readyz says so; when Redis
// returns it serves again without a restart.
import type { ModelInfo } from '@alto/protocol';
import { RedisModelRegistry, connect, keys } from '@alto/queue';
import { createLogger } from '@alto/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../apps/gateway/src/env.ts';
import { startGateway, type Gateway } from '../apps/gateway/src/server.ts';
import { testPrefix } from './support/fleet.ts';
import { getJson, postJson } from './support/http.ts';
import { startRedis, type TestRedis } from './support/redis-server.ts';
import { waitFor } from './support/wait.ts';

const tiny: ModelInfo = {
  name: 'tiny',
  version: '1',
  versions: ['1'],
  platform: 'onnx',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
  batching: { max_batch_size: 4, max_queue_delay_ms: 0 },
};
const body = { input: { x: { datatype: 'FP32', shape: [1, 2], data: [1, 2] } } };

describe('Redis outage at the gateway', () => {
  const prefix = testPrefix('outage');
  let redis: TestRedis;
  let gateway: Gateway;
  let base: string;

  beforeAll(async () => {
    redis = await startRedis();
    const conn = await connect(redis.url, { name: 'test' });
    await new RedisModelRegistry(conn, keys(prefix)).put(tiny);
    await conn.quit();
    gateway = await startGateway(
      loadEnv({ REDIS_URL: redis.url, ALTO_PREFIX: prefix, PORT: '0' }),
      createLogger({ name: 'gateway', level: 'silent' }),
    );
    base = `http://127.0.0.1:${gateway.port}`;
  });
  afterAll(async () => {
    await gateway?.close();
    await redis?.stop();
  });

  it('answers 503 redis_unavailable within a second, reports not ready, and recovers when Redis returns', async () => {
    expect((await postJson(`${base}/v1/models/tiny/predictions`, body)).status).toBe(202);
    await redis.stop();

    const started = Date.now();
    const down = await postJson(`${base}/v1/models/tiny/predictions`, body);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('redis_unavailable');
    expect(down.headers.get('retry-after')).toBe('1');
    expect((await getJson(`${base}/readyz`)).status).toBe(503);
    expect((await getJson(`${base}/v1/predictions/tiny.01m83xqsfwmba2gkx4nf4d8kb9`)).status).toBe(503);

    redis = await startRedis(redis.port);
    await waitFor(async () => (await getJson(`${base}/readyz`)).status === 200, { what: 'gateway ready again' });
    const conn = await connect(redis.url, { name: 'test' });
    await new RedisModelRegistry(conn, keys(prefix)).put(tiny); // the restarted Redis kept no data
    await conn.quit();
    await waitFor(async () => (await postJson(`${base}/v1/models/tiny/predictions`, body)).status === 202, {
      what: 'accepting again',
    });
  });
});
