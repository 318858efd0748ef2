// The "durability" scenario — what Alto's persistence costs beside the peers, which keep
// nothing: Alto on textdir with the peers' JSON body at one concurrency, once on a Redis
// without AOF (as every other Alto row of the bench) and once with `appendonly yes`,
// `appendfsync everysec` (what docs/reliability.md asks for in production), each on a fresh
// Redis, worker and gateway, alternating. Counts what Redis did per request beside the rates.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis } from '@alto/procs';
import { Redis } from 'ioredis';
import { ROOT, freePort, startGateway, startWorker } from './procs.ts';
import type { LoadResult } from './report.ts';

export interface DurabilityRun extends LoadResult {
  aof: boolean;
  concurrency: number;
  /** Redis CPU (INFO cpu, user + sys) per request answered or sent, µs. */
  redisCpuUsPerRequest: number;
  /** Bytes Redis wrote to storage per request: its AOF appends (rewrites are a child's). */
  aofBytesPerRequest: number;
  /** AOF rewrites Redis started during the run. */
  aofRewrites: number;
}

/**
 * Redis's CPU seconds, bytes its own process wrote to storage (the AOF appends; a rewrite is
 * written by a forked child and not counted), and AOF rewrites so far.
 */
async function redisStats(redis: Redis): Promise<{ cpu: number; written: number; rewrites: number }> {
  const text = await redis.info();
  const get = (k: string) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(text)?.[1] ?? 0);
  const io = readFileSync(`/proc/${get('process_id')}/io`, 'utf8');
  return {
    cpu: get('used_cpu_user') + get('used_cpu_sys'),
    written: Number(/^write_bytes: (\d+)/m.exec(io)?.[1] ?? 0),
    rewrites: get('aof_rewrites'),
  };
}

export async function benchDurability(o: {
  model: string;
  concurrency: number;
  threads: number;
  /** Alternations: each runs without AOF, then with it. */
  rounds: number;
  load: (url: string, concurrency: number) => Promise<LoadResult & { sent?: number }>;
  log: (msg: string) => void;
}): Promise<DurabilityRun[]> {
  const runs: DurabilityRun[] = [];
  for (let round = 0; round < o.rounds; round++) {
    for (const aof of [false, true]) {
      o.log(`${o.model}: durability, AOF ${aof ? 'everysec' : 'off'}`);
      const dir = aof ? mkdtempSync(join(tmpdir(), 'alto-bench-aof-')) : undefined;
      const server = await startRedis(dir ? { dir, appendfsync: 'everysec' } : {});
      const redis = new Redis(server.url);
      const common = { REDIS_URL: server.url, ALTO_PREFIX: `durability${Date.now()}`, ALTO_LOG_LEVEL: 'info' };
      const port = await freePort();
      const worker = await startWorker(common, {
        id: 'durability',
        repository: join(ROOT, 'models'),
        models: o.model,
        threads: o.threads,
      });
      const gateway = await startGateway(common, port);
      try {
        const before = await redisStats(redis);
        const r = await o.load(`http://127.0.0.1:${port}/v1/models/${o.model}/predictions`, o.concurrency);
        const after = await redisStats(redis);
        // The load counts warm-up requests in `sent`; Redis saw them too.
        const n = Math.max(1, r.sent ?? r.requests);
        runs.push({
          ...r,
          aof,
          concurrency: o.concurrency,
          redisCpuUsPerRequest: Math.round(((after.cpu - before.cpu) * 1e6) / n),
          aofBytesPerRequest: Math.round((after.written - before.written) / n),
          aofRewrites: after.rewrites - before.rewrites,
        });
      } finally {
        await Promise.all([gateway.stop(), worker.stop()]);
        redis.disconnect();
        await server.stop();
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return runs;
}
