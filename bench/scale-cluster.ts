// `npm run bench -- --scale --cluster`: one Redis against a 3-master Redis Cluster, with many
// `sim` models spread over the masters by their hash tags. The load is the same fixed rate
// on both; what differs is the Redis CPU each master spends per prediction, and so the
// predictions/s the fleet can reach before its busiest Redis core is full (the ceiling).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, startRedisCluster } from '@alto/procs';
import { freePort, node, type Proc } from './procs.ts';
import type { LoadResult } from './report.ts';
import { SIM, redisCpuUs } from './scale.ts';

export interface ClusterRow {
  masters: number;
  models: number;
  workers: number;
  offered: number;
  load: LoadResult & { drainSeconds: number; sent: number; ok: number };
  /** Models whose stream each master holds. */
  modelsByMaster: number[];
  /** Redis CPU per answered prediction on each master, µs. */
  cpuUsPerByMaster: number[];
  /** Predictions/s at which the busiest master's core is full. */
  ceiling: number;
}

export interface ClusterOptions {
  models: number;
  workers: number;
  rate: number;
  log: (msg: string) => void;
  load: (
    url: string,
    paths: string[],
    file: string,
    rate: number,
  ) => Promise<LoadResult & { drainSeconds: number; sent: number; ok: number }>;
}

async function runOn(masters: 1 | 3, o: ClusterOptions, repo: string, names: string[]): Promise<ClusterRow> {
  const single = masters === 1 ? await startRedis({ onInstall: o.log }) : undefined;
  const cluster = masters === 3 ? await startRedisCluster({ masters: 3, replicas: 0, onInstall: o.log }) : undefined;
  const nodes = single ? [new Redis(single.url)] : cluster!.nodes.map((n) => new Redis(n.port, '127.0.0.1'));
  const redisEnv: Record<string, string> = single
    ? { REDIS_URL: single.url }
    : { REDIS_URL: cluster!.url, ALTO_REDIS_CLUSTER: 'true' };
  const common = { ...redisEnv, ALTO_PREFIX: 'cl', ALTO_LOG_LEVEL: 'info' };
  const procs: Proc[] = [];
  try {
    const gwPort = await freePort();
    procs.push(
      await node('gateway', 'apps/gateway/src/main.ts', { ...common, PORT: String(gwPort) }, /gateway listening/),
    );
    for (let i = 0; i < o.workers; i++) {
      o.log(`cluster: ${masters} master(s), starting worker ${i + 1}`);
      procs.push(
        await node(
          `cw-${i + 1}`,
          'apps/worker/src/main.ts',
          {
            ...common,
            ALTO_MODEL_REPOSITORY: repo,
            ALTO_METRICS_PORT: String(await freePort()),
            ALTO_WORKER_ID: `cw-${i + 1}`,
            ALTO_XLA_RUNTIME: 'off',
          },
          /worker ready/,
        ),
      );
    }
    const before = await Promise.all(nodes.map(redisCpuUs));
    o.log(`cluster: ${masters} master(s), ${names.length} models, open loop at ${o.rate} req/s`);
    const load = await o.load(
      `http://127.0.0.1:${gwPort}/`,
      names.map((n) => `/v1/models/${n}/predictions`),
      join(repo, 'body.json'),
      o.rate,
    );
    const after = await Promise.all(nodes.map(redisCpuUs));
    const answered = Math.max(1, load.ok);
    const cpuUsPerByMaster = after.map((a, i) => Math.round(((a - before[i]!) / answered) * 10) / 10);
    const modelsByMaster = await Promise.all(
      nodes.map(async (n) => new Set((await n.keys('cl:{*}:stream')).map((k) => k)).size),
    );
    return {
      masters,
      models: names.length,
      workers: o.workers,
      offered: o.rate,
      load,
      modelsByMaster,
      cpuUsPerByMaster,
      ceiling: Math.round(1e6 / Math.max(1e-9, ...cpuUsPerByMaster)),
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    for (const n of nodes) n.disconnect();
    await single?.stop();
    await cluster?.stop();
  }
}

export async function benchCluster(o: ClusterOptions): Promise<ClusterRow[]> {
  const repo = mkdtempSync(join(tmpdir(), 'alto-scale-cluster-'));
  const names = Array.from({ length: o.models }, (_, i) => `sim-${i + 1}`);
  for (const name of names) {
    mkdirSync(join(repo, name, '1'), { recursive: true });
    writeFileSync(
      join(repo, name, '1', 'model.sim'),
      JSON.stringify({ width: SIM.width, a_ms: SIM.a_ms, b_ms: SIM.b_ms }),
    );
    writeFileSync(
      join(repo, name, 'config.json'),
      JSON.stringify({ max_batch_size: SIM.maxBatch, max_queue_length: 0 }),
    );
  }
  const data = Array.from({ length: SIM.width }, (_, i) => i / SIM.width);
  writeFileSync(
    join(repo, 'body.json'),
    JSON.stringify({ input: { x: { datatype: 'FP32', shape: [1, SIM.width], data } } }),
  );
  const rows: ClusterRow[] = [];
  for (const masters of [1, 3] as const) {
    rows.push(await runOn(masters, o, repo, names));
    o.log(`cluster: ${JSON.stringify(rows.at(-1))}`);
  }
  return rows;
}
