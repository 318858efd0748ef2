// `npm run bench -- --scale`: 1, 2, 4, … workers on one `sim` model (the simulated
// accelerator: a batch of n rows takes a + b·n ms on a timer, no CPU), under open-loop load a
// little above what they can serve, behind one gateway and one Redis. Reports throughput,
// scaling efficiency, mean batch size, latency, and what each prediction costs Redis:
// commands (INFO commandstats deltas) and CPU (INFO cpu deltas). Not part of --quick.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { ROOT, freePort, startGateway, startWorker, type Proc } from './procs.ts';
import type { LoadResult } from './report.ts';
import type { ClusterRow } from './scale-cluster.ts';

/** The simulated model: a batch of n ≤ MAX_BATCH rows takes A_MS + B_MS·n. */
export const SIM = { width: 16, a_ms: 100, b_ms: 10, maxBatch: 4 };
/** Rows per second one worker (one slot) serves with full batches. */
export const perWorkerCapacity = (1000 * SIM.maxBatch) / (SIM.a_ms + SIM.b_ms * SIM.maxBatch);
/** Offered load, as a multiple of the workers' capacity: enough to keep every batch full. */
const OVERLOAD = 1.05;

export interface ScaleRow {
  workers: number;
  offered: number;
  load: LoadResult & { drainSeconds: number; sent: number; ok: number };
  /** Answers per second over the measured window, or over the time it took to answer them if longer. */
  throughput: number;
  efficiency: number;
  batchMean: number;
  /**
   * Redis commands per answered prediction, in total and by command (INFO commandstats:
   * this counts the commands a Lua script runs, each one).
   */
  commandsPer: number;
  commandsByName: Record<string, number>;
  /**
   * Round trips per answered prediction: commands clients sent (a script is one), by
   * command, from a separate short run watched with MONITOR (which costs Redis CPU, so it
   * is not the measured run).
   */
  roundTripsPer: number;
  roundTripsByName: Record<string, number>;
  /** Redis CPU (user + sys) per answered prediction, µs. */
  redisCpuUsPer: number;
}

export interface ScaleResults {
  sim: typeof SIM;
  perWorkerCapacity: number;
  seconds: number;
  rows: ScaleRow[];
  /** One Redis against a 3-master cluster, many models (bench/scale-cluster.ts). */
  cluster?: ClusterRow[];
}

interface ScaleOptions {
  redisUrl: string;
  redis: Redis;
  workers: number[];
  seconds: number;
  warmup: number;
  log: (msg: string) => void;
  /** An open-loop run at `rate` req/s for `seconds` after warm-up (@default the run's seconds). */
  load: (
    url: string,
    file: string,
    rate: number,
    seconds?: number,
  ) => Promise<LoadResult & { drainSeconds: number; sent: number; ok: number }>;
}

export async function commandStats(redis: Redis): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    out[m[1]!] = Number(m[2]);
  return out;
}

export async function redisCpuUs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const get = (k: string) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (get('used_cpu_user') + get('used_cpu_sys')) * 1e6;
}

/** Runs `work` with MONITOR on: the commands clients sent (not those scripts ran), by name. */
async function clientCommands<T>(
  redis: Redis,
  work: () => Promise<T>,
): Promise<{ result: T; calls: Record<string, number> }> {
  const monitor = await redis.monitor();
  const calls: Record<string, number> = {};
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua') return;
    const name = String(args[0]).toLowerCase();
    calls[name] = (calls[name] ?? 0) + 1;
  });
  try {
    return { result: await work(), calls };
  } finally {
    monitor.disconnect();
  }
}

const perAnswer = (calls: Record<string, number>, answered: number): Record<string, number> =>
  Object.fromEntries(
    Object.entries(calls)
      .filter(([, c]) => c > 0)
      .map(([k, c]) => [k, Math.round((c / Math.max(1, answered)) * 1000) / 1000]),
  );
const total = (byName: Record<string, number>) =>
  Math.round(Object.values(byName).reduce((a, b) => a + b, 0) * 100) / 100;

async function scrapeBatch(port: number): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const get = (s: string) =>
    Number(new RegExp(`alto_worker_batch_size_${s}\\{[^}]*\\} ([0-9.e+]+)`).exec(text)?.[1] ?? 0);
  return { sum: get('sum'), count: get('count') };
}

export async function benchScale(o: ScaleOptions): Promise<ScaleResults> {
  const repo = mkdtempSync(join(tmpdir(), 'alto-scale-'));
  mkdirSync(join(repo, 'sim', '1'), { recursive: true });
  writeFileSync(
    join(repo, 'sim', '1', 'model.sim'),
    JSON.stringify({ width: SIM.width, a_ms: SIM.a_ms, b_ms: SIM.b_ms }),
  );
  writeFileSync(
    join(repo, 'sim', 'config.json'),
    JSON.stringify({ max_batch_size: SIM.maxBatch, max_queue_length: 0 }),
  );
  const body = join(repo, 'body.json');
  const data = Array.from({ length: SIM.width }, (_, i) => i / SIM.width);
  writeFileSync(body, JSON.stringify({ input: { x: { datatype: 'FP32', shape: [1, SIM.width], data } } }));

  const prefix = `scale${Date.now()}`;
  const common = { REDIS_URL: o.redisUrl, ALTO_PREFIX: prefix, ALTO_LOG_LEVEL: 'info' };
  const gwPort = await freePort();
  const gateway = await startGateway(common, gwPort);
  const url = `http://127.0.0.1:${gwPort}/v1/models/sim/predictions`;
  const workers: { proc: Proc; metricsPort: number }[] = [];
  const rows: ScaleRow[] = [];
  try {
    for (const n of o.workers) {
      // Workers are added, never restarted: the fleet grows from one run to the next.
      while (workers.length < n) {
        const metricsPort = await freePort();
        const id = `scale-${workers.length + 1}`;
        o.log(`scale: starting worker ${id}`);
        const proc = await startWorker(common, {
          id,
          name: id,
          repository: repo,
          models: 'sim',
          metricsPort,
          env: { ALTO_XLA_RUNTIME: 'off' },
        });
        workers.push({ proc, metricsPort });
      }
      const offered = Math.round(n * perWorkerCapacity * OVERLOAD);
      o.log(`scale: ${n} worker(s), open loop at ${offered} req/s`);
      const batchBefore = await Promise.all(workers.map((w) => scrapeBatch(w.metricsPort)));
      const cmdBefore = await commandStats(o.redis);
      const cpuBefore = await redisCpuUs(o.redis);
      const load = await o.load(url, body, offered);
      const cpuAfter = await redisCpuUs(o.redis);
      const cmdAfter = await commandStats(o.redis);
      const batchAfter = await Promise.all(workers.map((w) => scrapeBatch(w.metricsPort)));
      const batches = batchAfter.reduce(
        (acc, b, i) => ({
          sum: acc.sum + b.sum - batchBefore[i]!.sum,
          count: acc.count + b.count - batchBefore[i]!.count,
        }),
        { sum: 0, count: 0 },
      );
      // The two INFO calls themselves, and the metrics scrape, are not the fleet's.
      const commandsByName: Record<string, number> = {};
      const answered = Math.max(1, load.ok);
      for (const [name, calls] of Object.entries(cmdAfter)) {
        const d = calls - (cmdBefore[name] ?? 0) - (name === 'info' ? 2 : 0);
        if (d > 0) commandsByName[name] = Math.round((d / answered) * 1000) / 1000;
      }
      const watched = await clientCommands(o.redis, () => o.load(url, body, offered, 3));
      const roundTripsByName = perAnswer(watched.calls, watched.result.ok);
      const throughput = load.requests / Math.max(load.seconds, load.drainSeconds);
      const one = rows[0] ? rows[0].throughput : throughput;
      rows.push({
        workers: n,
        offered,
        load,
        throughput: Math.round(throughput * 10) / 10,
        efficiency: Math.round((throughput / (n * one)) * 1000) / 1000,
        batchMean: Math.round((batches.sum / Math.max(1, batches.count)) * 100) / 100,
        commandsPer: total(commandsByName),
        commandsByName,
        roundTripsPer: total(roundTripsByName),
        roundTripsByName,
        redisCpuUsPer: Math.round(((cpuAfter - cpuBefore) / answered) * 10) / 10,
      });
      o.log(`scale: ${JSON.stringify(rows.at(-1))}`);
    }
  } finally {
    await Promise.all([gateway.stop(), ...workers.map((w) => w.proc.stop())]);
  }
  return { sim: SIM, perWorkerCapacity: Math.round(perWorkerCapacity * 100) / 100, seconds: o.seconds, rows };
}

export { ROOT };
