// The "drain" scenario — worker efficiency, the number that matters on an accelerator VM where
// the gateway and the clients are on other machines: `requests` textdir requests are queued
// with no worker running, then one worker starts and drains them while the gateway idles. Its
// steady rate (rows/s between 10 % and 90 % of the queue done, so start-up and the tail do not
// count) is set against `limit`: onnxruntime alone at the batch size the worker actually ran,
// with the same intra-op threads. With `instances` > 1 the worker runs that many sessions of
// the model, each on its own thread (the model's `instances`), and `limit` is one session with
// as many intra-op threads as the worker has inference threads in all.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keys } from '@alto/queue';
import type { Redis } from 'ioredis';
import { ROOT, freePort, startGateway, startWorker, type Proc } from './procs.ts';

export interface DrainResult {
  /** Intra-op threads of each session. */
  threads: number;
  /** Sessions of the model in the worker, each on its own inference thread. */
  instances: number;
  requests: number;
  /** Rows/s between 10 % and 90 % drained. */
  rowsPerSecond: number;
  meanBatch: number;
  /** onnxruntime alone at round(meanBatch), one session with threads × instances intra-op threads. */
  limitRowsPerSecond: number;
  efficiency: number;
  fillSeconds: number;
  /**
   * Rows per second of inference time inside the worker (alto_worker_inference_ms), the whole
   * drain, times its instances: what its sessions compute while all of them are busy.
   */
  inferenceRowsPerSecond: number;
}

async function metric(port: number, name: string, model: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(new RegExp(`${name}\\{[^}]*model="${model}"[^}]*\\} ([0-9.e+]+)`).exec(text)?.[1] ?? 0);
}

export async function benchDrain(o: {
  redisUrl: string;
  redis: Redis;
  model: string;
  requests: number;
  threads: number;
  body: { file: string; headers: Record<string, string> };
  log: (msg: string) => void;
  /** Rows/s of onnxruntime alone at `batch` with `threads`. */
  limit: (batch: number, threads: number) => Promise<number>;
  /** More of the worker's environment (experiments: ALTO_INTRA_OP_SPINNING, …). */
  workerEnv?: Record<string, string>;
  /** Sessions of the model in the worker (its config's `instances`). @default 1 */
  instances?: number;
}): Promise<DrainResult> {
  const instances = o.instances ?? 1;
  // More than one instance: a copy of the model's folder whose config says so.
  const copy = instances > 1 ? mkdtempSync(join(tmpdir(), 'alto-drain-')) : undefined;
  if (copy) {
    cpSync(join(ROOT, 'models', o.model), join(copy, o.model), { recursive: true });
    const config = join(copy, o.model, 'config.json');
    writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), instances }));
  }
  try {
    return await drain(o, instances, copy ?? join(ROOT, 'models'));
  } finally {
    if (copy) rmSync(copy, { recursive: true, force: true });
  }
}

async function drain(o: Parameters<typeof benchDrain>[0], instances: number, repository: string): Promise<DrainResult> {
  const prefix = `drain${Date.now()}`;
  const common = { REDIS_URL: o.redisUrl, ALTO_PREFIX: prefix, ALTO_LOG_LEVEL: 'info' };
  const metricsPort = await freePort();
  const worker = () =>
    startWorker(common, {
      id: 'drain',
      repository,
      models: o.model,
      threads: o.threads,
      metricsPort,
      env: o.workerEnv,
    });
  // A first worker publishes the model's metadata to the catalog, then leaves; the queue bound
  // is lifted so the whole backlog is accepted.
  await (await worker()).stop();
  const infoKey = keys(prefix).models;
  const info = JSON.parse((await o.redis.hget(infoKey, o.model))!) as Record<string, unknown>;
  await o.redis.hset(infoKey, o.model, JSON.stringify({ ...info, max_queue_length: 0 }));
  const gwPort = await freePort();
  const gateway: Proc = await startGateway(common, gwPort);
  try {
    const url = `http://127.0.0.1:${gwPort}/v1/models/${o.model}/predictions`;
    for (const deadline = Date.now() + 10_000; ;) {
      const m = (await (await fetch(`http://127.0.0.1:${gwPort}/v1/models/${o.model}`)).json()) as {
        max_queue_length?: number;
      };
      if (m.max_queue_length === 0) break;
      if (Date.now() > deadline) throw new Error('the gateway did not see the lifted queue limit');
      await new Promise((r) => setTimeout(r, 100));
    }
    const body = readFileSync(o.body.file);
    let sent = 0;
    const fill0 = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (sent < o.requests) {
          sent++;
          const res = await fetch(url, { method: 'POST', body, headers: o.body.headers });
          await res.arrayBuffer();
          if (res.status !== 202) throw new Error(`queueing for the drain: ${res.status}`);
        }
      }),
    );
    const fillSeconds = Math.round((performance.now() - fill0) / 100) / 10;
    o.log(
      `drain: ${o.requests} requests queued in ${fillSeconds} s; one worker, ` +
        `${instances} instance(s) of ${o.threads} thread(s), drains`,
    );

    // `limit` is measured right before the drain and right after it, and the two averaged:
    // this machine's speed drifts by ~10 % over minutes, more than the gap being measured.
    const maxBatch = Number(info.max_batch_size ?? 0);
    const limitBefore = maxBatch > 0 ? await o.limit(maxBatch, o.threads * instances) : undefined;
    const drainer = await worker();
    const marks: { t: number; rows: number }[] = [];
    let batches: number;
    let inferenceMs: number;
    try {
      // Progress is read from Redis (a completed entry leaves the stream), not from the
      // worker's /metrics: rendering them costs the worker's main thread ~1.2 ms, which at
      // this polling rate would be ~6 % of a core taken from the process under measurement.
      const stream = keys(prefix).stream(o.model);
      for (const deadline = Date.now() + 600_000; ;) {
        const rows = o.requests - (await o.redis.xlen(stream));
        marks.push({ t: performance.now(), rows });
        if (rows >= o.requests) break;
        if (Date.now() > deadline) throw new Error(`drain: ${rows} of ${o.requests} rows after 600 s`);
        await new Promise((r) => setTimeout(r, 10));
      }
      batches = await metric(metricsPort, 'alto_worker_batch_size_count', o.model);
      inferenceMs = await metric(metricsPort, 'alto_worker_inference_ms_sum', o.model);
    } finally {
      await drainer.stop();
    }
    const at = (frac: number) => marks.find((m) => m.rows >= frac * o.requests)!;
    const [a, b] = [at(0.1), at(0.9)];
    const rowsPerSecond = Math.round(((b.rows - a.rows) / (b.t - a.t)) * 1000 * 10) / 10;
    const meanBatch = Math.round((o.requests / Math.max(1, batches)) * 100) / 100;
    // Measured with the worker gone and the gateway idle, as the drain ran (and before it).
    const batch = Math.max(1, Math.round(meanBatch));
    const limitAfter = await o.limit(batch, o.threads * instances);
    const limit = limitBefore !== undefined && batch === maxBatch ? (limitBefore + limitAfter) / 2 : limitAfter;
    const limitRowsPerSecond = Math.round(limit * 10) / 10;
    return {
      threads: o.threads,
      instances,
      requests: o.requests,
      rowsPerSecond,
      meanBatch,
      limitRowsPerSecond,
      efficiency: Math.round((rowsPerSecond / limitRowsPerSecond) * 1000) / 1000,
      fillSeconds,
      inferenceRowsPerSecond: Math.round(((o.requests * instances) / Math.max(1e-9, inferenceMs)) * 1000 * 10) / 10,
    };
  } finally {
    await gateway.stop();
  }
}
