// An in-process gateway over real sockets, on the test redis-server, with models written
// straight into the registry (no worker): for tests of what the gateway accepts and answers.
import type { ModelInfo } from '@alto/protocol';
import { RedisModelRegistry, connect, keys } from '@alto/queue';
import { createLogger } from '@alto/telemetry';
import type { Redis } from 'ioredis';
import { loadEnv } from '../../apps/gateway/src/env.ts';
import { startGateway, type Gateway } from '../../apps/gateway/src/server.ts';

export interface TestGateway {
  gateway: Gateway;
  /** A plain connection to the same Redis, for checking what was written. */
  redis: Redis;
  base: string;
  port: number;
  close(): Promise<void>;
}

export async function startTestGateway(
  redisUrl: string,
  prefix: string,
  models: ModelInfo[],
  env: Record<string, string> = {},
): Promise<TestGateway> {
  const redis = await connect(redisUrl, { name: 'test' });
  const registry = new RedisModelRegistry(redis, keys(prefix));
  for (const m of models) await registry.put(m);
  const gateway = await startGateway(
    loadEnv({ REDIS_URL: redisUrl, ALTO_PREFIX: prefix, PORT: '0', ...env }),
    createLogger({ name: 'gateway', level: 'silent' }),
  );
  return {
    gateway,
    redis,
    port: gateway.port,
    base: `http://127.0.0.1:${gateway.port}`,
    async close() {
      await gateway.close();
      await redis.quit();
    },
  };
}
