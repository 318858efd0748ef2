// The fleet the client SDK tests (TypeScript and Python) run against: a worker serving tiny and
// tinyq (tiny with max_queue_length 1, from a repository made here); a gateway with API keys
// and a 256 KiB body limit that lets webhooks reach 127.0.0.1; a dispatcher signing with a
// fresh secret; and a gateway whose Redis is gone (it answers 503).
import { startRedis } from '@alto/procs';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecret } from '@alto/webhooks';
import { afterAll, beforeAll, inject } from 'vitest';
import { ROOT, startDispatcher, startGateway, startWorker, testPrefix, type Proc } from './fleet.ts';

/** Keys of their own for the tests that count what a key created (list, dropped connection). */
export const SDK_KEYS = {
  main: 'alto-sdk-key-main-0000000000000',
  list: 'alto-sdk-key-list-0000000000000',
  drop: 'alto-sdk-key-drop-0000000000000',
  pyMain: 'alto-sdk-key-py-main-0000000000',
  pyList: 'alto-sdk-key-py-list-0000000000',
  pyDrop: 'alto-sdk-key-py-drop-0000000000',
} as const;

export const SDK_MAX_BODY_BYTES = 256 * 1024;

export interface SdkFleet {
  prefix: string;
  secret: string;
  gateway: Proc & { url: string };
  /** A gateway on a Redis port nothing listens on: every prediction route answers 503. */
  redisless: Proc & { url: string };
  worker: Proc;
}

/** A repository with models/tiny as `tiny`, and again as `tinyq` with max_queue_length 1. */
function repository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'alto-sdk-models-'));
  cpSync(join(ROOT, 'models/tiny'), join(dir, 'tiny'), { recursive: true });
  cpSync(join(ROOT, 'models/tiny'), join(dir, 'tinyq'), { recursive: true });
  const config = JSON.parse(readFileSync(join(dir, 'tiny/config.json'), 'utf8'));
  writeFileSync(join(dir, 'tinyq/config.json'), JSON.stringify({ ...config, max_queue_length: 1 }));
  return dir;
}

/** Call inside describe(): the fleet starts before the file's tests and is killed after them. */
export function sdkFleet(name: string): SdkFleet {
  const f = { prefix: testPrefix(name), secret: generateSecret() } as SdkFleet;
  const procs: Proc[] = [];
  let models: string | undefined;
  beforeAll(async () => {
    const redisUrl = inject('redisUrl');
    const allow = { ALTO_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32' };
    models = repository();
    const [worker, gateway, dispatcher, redisless] = await Promise.all([
      startWorker(redisUrl, f.prefix, { ALTO_MODELS: 'tiny,tinyq', ALTO_MODEL_REPOSITORY: models }),
      startGateway(redisUrl, f.prefix, {
        ...allow,
        ALTO_API_KEYS: Object.values(SDK_KEYS).join(','),
        ALTO_MAX_BODY_BYTES: String(SDK_MAX_BODY_BYTES),
      }),
      startDispatcher(redisUrl, f.prefix, {
        ...allow,
        ALTO_WEBHOOK_SECRET: f.secret,
        ALTO_WEBHOOK_RETRY_SCHEDULE: '0,300ms,300ms',
        ALTO_WEBHOOK_TIMEOUT_MS: '2000',
      }),
      // Started on a Redis of its own, which is stopped once the gateway is up.
      startRedis().then(async (redis) => {
        const g = await startGateway(redis.url, f.prefix);
        await redis.stop();
        return g;
      }),
    ]);
    procs.push(worker, gateway, dispatcher, redisless);
    Object.assign(f, { worker, gateway, redisless });
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    if (models) rmSync(models, { recursive: true, force: true });
  });
  return f;
}
