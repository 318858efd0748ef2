// Starts one real redis-server on a free port for the whole run. Each test file isolates
// itself with its own key prefix (see testPrefix).
import type { TestProject } from 'vitest/node';
import { startRedis } from './redis-server.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedis();
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
