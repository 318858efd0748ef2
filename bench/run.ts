// `npm run bench [-- --quick]`: Alto measured side by side with raw onnxruntime ("limit"),
// a hand-built Hono + BullMQ service ("peer") and a bare Hono handler ("ingest" baseline),
// on the demo models `tiny` and `textdir`, in one run on one machine. Reports ratios, since
// shared machines drift; writes bench/results/*.json and regenerates docs/benchmarks.md.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { keys } from '@alto/queue';
import { Redis } from 'ioredis';
import { startRedis } from '@alto/procs';
import { ROOT, freePort, node, startGateway, startWorker, rssMiB, withCpu, type Proc } from './procs.ts';
import { writeReport, type Results, type ModelResults, type LoadResult } from './report.ts';
import { benchDrain } from './drain.ts';
import { benchDurability } from './durability.ts';
import { benchPeers, benchPython } from './peers.ts';
import { SIM, benchScale, perWorkerCapacity, type ScaleResults } from './scale.ts';
import { benchCluster } from './scale-cluster.ts';
import { writeScaleReport } from './scale-report.ts';
import { benchMiniLm, writeMiniLmReport } from './minilm.ts';

const quick = process.argv.includes('--quick');
/** `--peers` / `--drain`: those scenarios in quick mode too (full mode always runs them). */
const runPeers = !quick || process.argv.includes('--peers');
const runDrain = !quick || process.argv.includes('--drain');
/** `--minilm`: the sentence-embedding scenario (bench/minilm.ts) in quick mode too; `--minilm-only`: it alone. */
const miniLmOnly = process.argv.includes('--minilm-only');
const runMiniLm = !quick || miniLmOnly || process.argv.includes('--minilm');
/** `--durability`: Alto with and without AOF (bench/durability.ts) in quick mode too. */
const runDurability = !quick || process.argv.includes('--durability');
/** The concurrencies of the peers comparison (and of Alto's JSON-body rows beside them). */
const PEER_CONCURRENCY = [1, 64];
/** `--scale`: only the many-workers run on the sim model (bench/scale.ts); never part of --quick. */
const scale = process.argv.includes('--scale') || process.argv.includes('--cluster-only');
/** `--workers=1,2,4`: the fleet sizes of --scale. @default 1,2,4,8,16,32 */
const scaleWorkers = (process.argv.find((a) => a.startsWith('--workers='))?.slice(10) ?? '1,2,4,8,16,32')
  .split(',')
  .map(Number);
/** `--no-cluster`: --scale without the one-Redis vs 3-master cluster comparison. */
const scaleCluster = !process.argv.includes('--no-cluster');
/** `--cluster-only`: --scale's cluster comparison alone (bench/scale-cluster.ts), keeping the workers rows. */
const clusterOnly = process.argv.includes('--cluster-only');
const CFG = quick
  ? { seconds: 3, warmup: 1, concurrency: [1, 64], limitBatches: [8, 32], open: false }
  : { seconds: 10, warmup: 2, concurrency: [1, 16, 64, 256], limitBatches: [4, 8, 16, 32, 64], open: true };
const THREADS = 1; // intra-op threads: the budget of one worker, in every scenario

const MODELS = {
  tiny: { input: 'x', shape: [1, 64] },
  textdir: { input: 'x', shape: [1, 3, 48, 192] },
} as const;
type ModelName = keyof typeof MODELS;

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
const tmp = mkdtempSync(join(tmpdir(), 'alto-bench-'));

/** A request as a binary body: JSON header, then the tensor's raw bytes (textdir's example). */
function binaryBody(): { file: string; headers: Record<string, string> } {
  const example = JSON.parse(readFileSync(join(ROOT, 'examples/textdir.json'), 'utf8')) as {
    input: { x: { shape: number[]; b64: string } };
  };
  const bytes = Buffer.from(example.input.x.b64, 'base64');
  const header = Buffer.from(
    JSON.stringify({
      input: { x: { datatype: 'FP32', shape: example.input.x.shape, binary_data_size: bytes.length } },
    }),
  );
  const file = join(tmp, 'textdir.bin');
  writeFileSync(file, Buffer.concat([header, bytes]));
  return {
    file,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
  };
}

function bodyFile(model: ModelName): string {
  if (model === 'textdir') return join(ROOT, 'examples/textdir.json');
  const file = join(tmp, 'tiny.json');
  const data = Array.from({ length: 64 }, (_, i) => Math.round(Math.sin(i) * 1000) / 1000);
  writeFileSync(file, JSON.stringify({ input: { x: { datatype: 'FP32', shape: [1, 64], data } } }));
  return file;
}

function runJson<T>(script: string, spec: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(spec)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()!) as T)
        : reject(new Error(`${script} exited ${code}`)),
    );
  });
}

const load = (
  url: string,
  file: string,
  mode: 'wait' | 'poll' | 'plain',
  concurrency: number,
  rate = 0,
  headers: Record<string, string> = {},
) =>
  runJson<LoadResult>('bench/load.ts', {
    url,
    bodyFile: file,
    mode,
    concurrency,
    rate,
    headers,
    warmupSeconds: CFG.warmup,
    seconds: CFG.seconds,
  });

async function scrapeBatch(port: number, model: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const get = (s: string) =>
    Number(new RegExp(`alto_worker_batch_size_${s}\\{[^}]*model="${model}"[^}]*\\} ([0-9.e+]+)`).exec(text)?.[1] ?? 0);
  return { sum: get('sum'), count: get('count') };
}

async function benchModel(model: ModelName, redisUrl: string, redis: Redis): Promise<ModelResults> {
  const spec = MODELS[model];
  const file = bodyFile(model);
  const modelPath = join(ROOT, 'models', model, '1', 'model.onnx');
  const r: ModelResults = {
    limit: undefined!,
    peer: [],
    alto: [],
    altoBody: 'json',
    altoJson: undefined,
    altoPoll: undefined,
    altoOpen: undefined,
    ingest: undefined!,
    bare: undefined!,
    batchMean: [],
    cpu: {},
    workerRssMiB: 0,
    redisBytesPerQueued: 0,
  };

  log(`${model}: limit`);
  r.limit = await runJson('bench/limit.ts', {
    modelPath,
    input: spec.input,
    shape: spec.shape,
    threads: THREADS,
    batches: CFG.limitBatches,
    seconds: CFG.seconds,
  });

  log(`${model}: peer (Hono + BullMQ)`);
  {
    const port = await freePort();
    const worker = await node(
      'peer-worker',
      'bench/peer/worker.ts',
      { REDIS_URL: redisUrl, MODEL_PATH: modelPath, THREADS: String(THREADS) },
      /peer worker ready/,
    );
    const server = await node(
      'peer-server',
      'bench/peer/server.ts',
      { REDIS_URL: redisUrl, PORT: String(port) },
      /peer ready/,
    );
    for (const c of CFG.concurrency)
      r.peer.push({
        concurrency: c,
        ...(await load(`http://127.0.0.1:${port}/v1/models/${model}/predictions`, file, 'plain', c)),
      });
    await Promise.all([server.stop(), worker.stop()]);
    await redis.flushall();
  }

  log(`${model}: alto`);
  const prefix = `bench${Date.now()}`;
  const gwPort = await freePort();
  const metricsPort = await freePort();
  const common = { REDIS_URL: redisUrl, ALTO_PREFIX: prefix, ALTO_LOG_LEVEL: 'warn' };
  const worker = await startWorker(common, {
    id: 'bench',
    repository: join(ROOT, 'models'),
    models: model,
    threads: THREADS,
    metricsPort,
  });
  const gateway = await startGateway(common, gwPort);
  const url = `http://127.0.0.1:${gwPort}/v1/models/${model}/predictions`;
  // Alto's best form for a large tensor is a binary body; tiny goes as plain JSON.
  const best = model === 'textdir' ? binaryBody() : { file, headers: {} };
  r.altoBody = model === 'textdir' ? 'binary' : 'json';
  const redisPid = Number((await redis.info('server')).match(/process_id:(\d+)/)![1]);
  const redisProc = { name: 'redis', child: { pid: redisPid } } as unknown as Proc;
  for (const c of CFG.concurrency) {
    const before = await scrapeBatch(metricsPort, model);
    const { result, cpu } = await withCpu([gateway, worker, redisProc], () =>
      load(url, best.file, 'wait', c, 0, best.headers),
    );
    const after = await scrapeBatch(metricsPort, model);
    r.alto.push({ concurrency: c, ...result });
    r.batchMean.push({
      concurrency: c,
      mean: Math.round(((after.sum - before.sum) / Math.max(1, after.count - before.count)) * 100) / 100,
    });
    if (c === Math.max(...CFG.concurrency)) r.cpu = cpu;
  }
  r.workerRssMiB = rssMiB(worker.child.pid!);
  const top = Math.max(...CFG.concurrency);
  r.altoPoll = { concurrency: top, ...(await load(url, best.file, 'poll', top, 0, best.headers)) };
  if (model === 'textdir') r.altoJson = { concurrency: top, ...(await load(url, file, 'wait', top)) };
  if (model === 'textdir' && runPeers) {
    r.altoJsonRows = [];
    for (const c of PEER_CONCURRENCY)
      r.altoJsonRows.push(
        c === top && r.altoJson ? r.altoJson : { concurrency: c, ...(await load(url, file, 'wait', c)) },
      );
  }
  if (CFG.open) {
    const rate = Math.max(1, Math.round(Math.max(...r.alto.map((a) => a.throughput)) * 0.5));
    r.altoOpen = { rate, ...(await load(url, best.file, 'wait', 0, rate, best.headers)) };
  }
  await worker.stop();

  log(`${model}: ingest (gateway 202s, no worker) and bare Hono`);
  // Ingest fills the queue with no worker draining it: lift the model's max_queue_length so
  // that the run measures accepting, not 429s.
  const infoKey = keys(prefix).models;
  const info = JSON.parse((await redis.hget(infoKey, model))!) as { max_queue_length?: number };
  await redis.hset(infoKey, model, JSON.stringify({ ...info, max_queue_length: 0 }));
  for (const deadline = Date.now() + 10_000; ;) {
    const m = (await (await fetch(`http://127.0.0.1:${gwPort}/v1/models/${model}`)).json()) as {
      max_queue_length?: number;
    };
    if (m.max_queue_length === 0) break;
    if (Date.now() > deadline) throw new Error('the gateway did not see the lifted queue limit');
    await new Promise((r) => setTimeout(r, 100));
  }
  const before = Number((await redis.info('memory')).match(/used_memory:(\d+)/)![1]);
  r.ingest = { concurrency: top, ...(await load(url, file, 'plain', top)) };
  const queued = await redis.xlen(`${prefix}:{${model}}:stream`);
  const afterMem = Number((await redis.info('memory')).match(/used_memory:(\d+)/)![1]);
  r.redisBytesPerQueued = queued > 0 ? Math.round((afterMem - before) / queued) : 0;
  await gateway.stop();
  await redis.flushall();
  const barePort = await freePort();
  const bare = await node('bare', 'bench/bare.ts', { PORT: String(barePort) }, /bare ready/);
  const bareUrl = `http://127.0.0.1:${barePort}/v1/models/${model}/predictions`;
  r.bare = { concurrency: top, ...(await load(bareUrl, file, 'plain', top)) };
  if (top !== 64) r.bare64 = { concurrency: 64, ...(await load(bareUrl, file, 'plain', 64)) };
  await bare.stop();
  return r;
}

const redisServer = await startRedis({ onInstall: log });
const redisUrl = redisServer.url;
const redis = new Redis(redisUrl);
const started = Date.now();
if (scale) {
  try {
    const date = new Date().toISOString();
    // Open loop (no concurrency cap) at `rate` req/s with Prefer: wait, over `paths` when given.
    const openLoop = (url: string, paths: string[] | undefined, file: string, rate: number, seconds = 8) =>
      runJson<LoadResult & { drainSeconds: number; sent: number; ok: number }>('bench/load.ts', {
        url,
        ...(paths ? { paths } : {}),
        bodyFile: file,
        mode: 'wait',
        concurrency: 0,
        rate,
        warmupSeconds: 2,
        seconds,
      });
    const res: ScaleResults = clusterOnly
      ? { sim: SIM, perWorkerCapacity, seconds: 8, rows: [] }
      : await benchScale({
          redisUrl,
          redis,
          workers: scaleWorkers,
          seconds: 8,
          warmup: 2,
          log,
          load: (url, file, rate, seconds) => openLoop(url, undefined, file, rate, seconds),
        });
    if (scaleCluster || clusterOnly)
      res.cluster = await benchCluster({
        models: 12,
        workers: 2,
        rate: 300,
        driverModels: 96,
        inFlight: 384,
        driverSeconds: 8,
        driverOwners: 96,
        log,
        load: (url, paths, file, rate, seconds) => openLoop(url, paths, file, rate, seconds),
      });
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    const out = join(ROOT, 'bench/results', `scale-${date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(out, JSON.stringify({ date, ...res }, null, 2) + '\n');
    const summary = writeScaleReport(res, date, join(ROOT, 'docs/benchmarks.md'), clusterOnly);
    log(`done in ${Math.round((Date.now() - started) / 1000)} s; results in ${out}; docs/benchmarks.md regenerated`);
    process.stdout.write(summary + '\n');
    if (res.rows.some((r) => r.load.errors > 0 || r.load.requests === 0)) {
      log('broken run: a fleet size answered nothing or had failed requests');
      process.exitCode = 1;
    }
  } finally {
    redis.disconnect();
    await redisServer.stop();
  }
  process.exit();
}
const miniLm = async () => {
  const date = new Date().toISOString();
  const res = await benchMiniLm({
    redisUrl,
    threads: THREADS,
    seconds: CFG.seconds,
    quick,
    tmp,
    log,
    runJson,
    load: (url, file, mode, c) => load(url, file, mode, c),
  });
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench/results', `minilm-${date.replace(/[:.]/g, '-')}.json`),
    JSON.stringify({ date, ...res }, null, 2) + '\n',
  );
  process.stdout.write(writeMiniLmReport(res, date, join(ROOT, 'docs/benchmarks.md')) + '\n');
  return res;
};
if (miniLmOnly) {
  try {
    await miniLm();
  } finally {
    redis.disconnect();
    await redisServer.stop();
  }
  process.exit();
}
try {
  const results: Results = {
    date: new Date().toISOString(),
    command: `npm run bench${quick ? ' -- --quick' : ''}`,
    mode: quick ? 'quick' : 'full',
    seconds: CFG.seconds,
    threads: THREADS,
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      redis:
        execFileSync('redis-server', ['--version'])
          .toString()
          .match(/v=(\S+)/)?.[1] ?? 'unknown',
    },
    models: {},
  };
  for (const model of Object.keys(MODELS) as ModelName[])
    results.models[model] = await benchModel(model, redisUrl, redis);
  const textdirPath = join(ROOT, 'models/textdir/1/model.onnx');
  if (!runPeers) log('peers (LitServe, Ray Serve) skipped in quick mode; `-- --quick --peers` runs them');
  else {
    const python = benchPython(log);
    results.peers = python
      ? {
          model: 'textdir',
          runs: await benchPeers({
            python,
            model: 'textdir',
            modelPath: textdirPath,
            maxBatch: 32,
            threads: THREADS,
            file: bodyFile('textdir'),
            concurrency: PEER_CONCURRENCY,
            log,
            load: (url, file, c) => load(url, file, 'plain', c),
          }),
        }
      : { skipped: 'no Python >= 3.10 to install LitServe and Ray Serve into (scripts/install-bench-venv.sh)' };
  }
  if (!runDrain) log('drain (worker efficiency) skipped in quick mode; `-- --quick --drain` runs it');
  else {
    results.drain = [];
    // Two intra-op threads in one session, then two sessions of one thread: what a CPU worker
    // does with a second core either way.
    for (const [threads, instances] of [
      [1, 1],
      [2, 1],
      [1, 2],
    ] as const) {
      await redis.flushall();
      log(`textdir: drain, ${instances} instance(s) of ${threads} intra-op thread(s)`);
      results.drain.push(
        await benchDrain({
          redisUrl,
          redis,
          model: 'textdir',
          requests: quick ? 2000 : 5000,
          threads,
          instances,
          body: binaryBody(),
          log,
          limit: async (batch, t) =>
            (
              await runJson<{ best: { throughput: number } }>('bench/limit.ts', {
                modelPath: textdirPath,
                input: 'x',
                shape: MODELS.textdir.shape,
                threads: t,
                batches: [batch],
                seconds: CFG.seconds,
              })
            ).best.throughput,
        }),
      );
    }
    await redis.flushall();
  }
  if (!runMiniLm) log('minilm (sentence embeddings) skipped in quick mode; `-- --quick --minilm` runs it');
  else {
    await redis.flushall();
    await miniLm();
  }
  if (!runDurability) log('durability (AOF on and off) skipped in quick mode; `-- --quick --durability` runs it');
  else {
    await redis.flushall();
    const concurrency = Math.max(...PEER_CONCURRENCY);
    results.durability = await benchDurability({
      model: 'textdir',
      concurrency,
      threads: THREADS,
      rounds: quick ? 1 : 2,
      log,
      load: (url, c) => load(url, bodyFile('textdir'), 'wait', c),
    });
  }
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const out = join(ROOT, 'bench/results', `${results.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  const summary = writeReport(results, join(ROOT, 'docs/benchmarks.md'));
  log(`done in ${Math.round((Date.now() - started) / 1000)} s; results in ${out}; docs/benchmarks.md regenerated`);
  process.stdout.write(summary + '\n');
  // A scenario that measured nothing, or an Alto scenario with failed requests, is a broken run.
  const broken: string[] = [];
  for (const [name, m] of Object.entries(results.models)) {
    const rows: [string, LoadResult][] = [
      ...m.peer.map((p) => [`peer c=${p.concurrency}`, p] as [string, LoadResult]),
      ...m.alto.map((a) => [`alto c=${a.concurrency}`, a] as [string, LoadResult]),
      ['ingest', m.ingest],
      ['bare', m.bare],
      ...(m.altoPoll ? [['alto poll', m.altoPoll] as [string, LoadResult]] : []),
    ];
    for (const [what, r] of rows) {
      if (r.requests === 0) broken.push(`${name} ${what}: no request completed`);
      if ((what.startsWith('alto') || what === 'ingest') && r.errors > 0)
        broken.push(`${name} ${what}: ${r.errors} failed requests`);
    }
  }
  if (broken.length > 0) {
    log(`broken run:\n  ${broken.join('\n  ')}`);
    process.exitCode = 1;
  }
} finally {
  redis.disconnect();
  await redisServer.stop();
}
