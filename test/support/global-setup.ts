// Setup of the e2e project, once per run: installs what a fresh machine lacks (redis-server
// with apt-get when root; fake-gcs-server, jaeger and promtool built with Go into
// .alto/tools/bin), then starts one
// real redis-server for the whole run. Each test file isolates itself with its own key
// prefix (see testPrefix).
import type { TestProject } from 'vitest/node';
import { ensureFakeGcs } from './fake-gcs.ts';
import { ensureJaeger } from './jaeger.ts';
import { ensurePromtool } from './promtool.ts';
import { requireRedisServer, say, startRedis } from './redis-server.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  requireRedisServer();
  try {
    ensureFakeGcs(say);
  } catch (err) {
    // Only the GCS tests need it; they fail with this same line.
    say((err as Error).message);
  }
  try {
    // Only the tracing test needs it; it fails with this same line.
    ensureJaeger(say);
  } catch (err) {
    say((err as Error).message);
  }
  ensurePromtool(say);
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
