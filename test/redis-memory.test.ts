// Redis memory bounded: against a redis-server whose maxmemory the load outgrows, the gateway
// answers only 202 or 503 `storage_full` (never 500), every accepted prediction completes,
// /readyz says so while full, and service resumes on its own as retention frees memory.
// Two gateways share the Redis: one with the default high-water mark (refuses before Redis
// does) and one at 1.0 (it meets Redis's own OOM refusals, which must map to the same 503).
import { connect } from '@alto/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { getJson, postJson } from './support/http.ts';
import { startRedis, type TestRedis } from './support/redis-server.ts';
import { waitFor } from './support/wait.ts';

const body = { input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.25) } } };
/** Short, so the test sees memory freed by retention; long enough for the load to fill it. */
const RETENTION_S = '8';
/** Room for retained predictions above what the idle fleet uses: a few thousand of them. */
const HEADROOM_BYTES = 1024 * 1024;
/** Predictions sent to measure what one retained prediction costs, and the bound docs/deploy.md quotes. */
const SAMPLE = 500;
const MAX_BYTES_PER_PREDICTION = 1500;

const usedMemory = async (redis: Redis) => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);

describe('Redis memory, bounded', () => {
  const prefix = testPrefix('memory');
  let server: TestRedis;
  let redis: Redis;
  let worker: Proc;
  let gateway: Proc & { url: string };
  let edge: Proc & { url: string };

  beforeAll(async () => {
    server = await startRedis(undefined, ['--maxmemory-policy', 'noeviction']);
    redis = await connect(server.url, { name: 'test' });
    const env = { ALTO_RETENTION_SECONDS: RETENTION_S };
    // Far longer than the test waits for completions: a completion refused for memory must be
    // retried as memory frees, not left for another delivery after the visibility timeout.
    worker = await startWorker(server.url, prefix, { ...env, ALTO_VISIBILITY_TIMEOUT_MS: '300000' });
    gateway = await startGateway(server.url, prefix, env);
    edge = await startGateway(server.url, prefix, { ...env, ALTO_REDIS_MEMORY_HIGH_WATER: '1' });
    await waitFor(async () => (await postJson(`${gateway.url}/v1/models/tiny/predictions`, body)).status === 202, {
      what: 'tiny served',
      timeoutMs: 60_000,
    });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([gateway?.stop(), edge?.stop(), worker?.stop()]);
    redis?.disconnect();
    await server?.stop();
  });

  it(`keeps under ${MAX_BYTES_PER_PREDICTION} bytes of Redis per retained prediction of tiny (docs/deploy.md)`, async () => {
    const before = await usedMemory(redis);
    const ids: string[] = [];
    const send = async () => {
      while (ids.length < SAMPLE) {
        const r = await postJson(`${gateway.url}/v1/models/tiny/predictions`, body);
        expect(r.status).toBe(202);
        ids.push(r.body.id);
      }
    };
    await Promise.all([send(), send(), send(), send()]);
    for (const id of ids) {
      await waitFor(async () => (await getJson(`${gateway.url}/v1/predictions/${id}`)).body.status === 'succeeded', {
        what: `${id} succeeded`,
      });
    }
    const perPrediction = ((await usedMemory(redis)) - before) / ids.length;
    process.stderr.write(`redis-memory: ${Math.round(perPrediction)} bytes per retained prediction of tiny\n`);
    expect(perPrediction).toBeGreaterThan(0);
    expect(perPrediction).toBeLessThan(MAX_BYTES_PER_PREDICTION);
  });

  it('refuses new work past the limit with 503 storage_full only, loses nothing accepted, and resumes', async () => {
    const maxmemory = (await usedMemory(redis)) + HEADROOM_BYTES;
    await redis.config('SET', 'maxmemory', String(maxmemory));
    const accepted: string[] = [];
    const refused: { status: number; code: string; retryAfter: string | null }[] = [];
    let readyzWhileFull: number | undefined;
    // Closed-loop load on both gateways until each has been refused a good number of times.
    const load = async (url: string) => {
      let mine = 0;
      for (let i = 0; i < 40_000 && mine < 200; i++) {
        const r = await postJson(`${url}/v1/models/tiny/predictions`, body);
        if (r.status === 202 || r.status === 200) accepted.push(r.body.id);
        else {
          mine++;
          refused.push({ status: r.status, code: r.body?.error?.code, retryAfter: r.headers.get('retry-after') });
          if (url === gateway.url && readyzWhileFull === undefined) {
            readyzWhileFull = (await getJson(`${gateway.url}/readyz`)).status;
          }
        }
      }
      return mine;
    };
    const counts = await Promise.all([
      load(gateway.url),
      load(gateway.url),
      load(gateway.url),
      load(edge.url),
      load(edge.url),
    ]);
    expect(counts.every((n) => n === 200)).toBe(true);
    expect(refused.filter((r) => r.status !== 503 || r.code !== 'storage_full')).toEqual([]);
    expect(refused.every((r) => r.retryAfter !== null)).toBe(true);
    expect(readyzWhileFull).toBe(503);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(Number(/^alto_redis_memory_max_bytes (\d+)$/m.exec(metrics)?.[1])).toBe(maxmemory);
    expect(Number(/^alto_redis_memory_used_bytes (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);

    // Every accepted prediction finishes, although Redis was full around its completion.
    await waitFor(
      async () => {
        for (const id of accepted.splice(0)) {
          const r = await getJson(`${gateway.url}/v1/predictions/${id}`);
          expect(r.status).toBe(200);
          if (r.body.status !== 'succeeded') {
            expect(r.body.status).not.toBe('failed');
            accepted.unshift(id);
            return false;
          }
        }
        return true;
      },
      { what: 'every accepted prediction succeeded', timeoutMs: 30_000 },
    );

    // Retention frees memory; both gateways accept again with no restart.
    await waitFor(async () => (await getJson(`${gateway.url}/readyz`)).status === 200, {
      what: 'ready again',
      timeoutMs: 60_000,
    });
    for (const url of [gateway.url, edge.url]) {
      expect((await postJson(`${url}/v1/models/tiny/predictions`, body)).status).toBe(202);
    }
  }, 180_000);
});
