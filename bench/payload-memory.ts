// Redis memory per prediction with tensors inline and by reference (docs/benchmarks.md,
// "Payloads by reference"). Real processes: redis-server, fake-gcs-server, a gateway and a
// worker serving a `model.sim` whose input and output are textdir-sized ([1, 27648] FP32,
// 110,592 bytes, textdir's [1,3,48,192]). Measures, for N predictions each way:
//   queued:    INFO used_memory growth and MEMORY USAGE of the stream while they wait (no worker);
//   completed: MEMORY USAGE of each prediction hash once succeeded.
// Run: node --import tsx bench/payload-memory.ts [N]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keys as makeKeys } from '@alto/queue';
import { startRedis } from '@alto/procs';
import { writeNpy } from '@alto/repository';
import { Redis } from 'ioredis';
import { createBucket } from '../test/support/checkpoint-fixtures.ts';
import { startFakeGcs } from '../test/support/fake-gcs.ts';
import { startGateway, startWorker, type Proc } from './procs.ts';
import { freePort } from '@alto/procs';

const N = Number(process.argv[2] ?? 50);
const WIDTH = 3 * 48 * 192;
const BUCKET = 'bench-payloads';

const redis = await startRedis();
const gcs = await startFakeGcs();
const storage = await createBucket(gcs, BUCKET);
const repo = mkdtempSync(join(tmpdir(), 'alto-payload-bench-'));
mkdirSync(join(repo, 'sim', '1'), { recursive: true });
writeFileSync(join(repo, 'sim', '1', 'model.sim'), JSON.stringify({ width: WIDTH, a_ms: 1, b_ms: 0 }));
writeFileSync(join(repo, 'sim', 'config.json'), JSON.stringify({ max_batch_size: 8, max_queue_delay_ms: 0 }));
const client = new Redis(redis.url);
const procs: Proc[] = [];

const x = new Float32Array(WIDTH).map((_, i) => Math.sin(i));
const b64 = Buffer.from(x.buffer).toString('base64');
await storage
  .bucket(BUCKET)
  .file('in/x.npy')
  .save(writeNpy({ datatype: 'FP32', shape: [1, WIDTH], data: new Uint8Array(x.buffer) }), { resumable: false });
const inline = { input: { x: { datatype: 'FP32', shape: [1, WIDTH], b64 } } };
const byRef = { input: { x: { uri: `gs://${BUCKET}/in/x.npy` } }, output_uri: `gs://${BUCKET}/out/` };
const env = (prefix: string) => ({
  REDIS_URL: redis.url,
  ALTO_PREFIX: prefix,
  ALTO_LOG_LEVEL: 'warn',
  ALTO_PAYLOAD_ROOTS: `gs://${BUCKET}`,
  STORAGE_EMULATOR_HOST: gcs.endpoint,
});

async function gateway(prefix: string): Promise<string> {
  const port = await freePort();
  procs.push(await startGateway(env(prefix), port));
  return `http://127.0.0.1:${port}`;
}

async function post(url: string, body: unknown, wait: boolean): Promise<{ id: string; status: string }> {
  const res = await fetch(`${url}/v1/models/sim/predictions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(wait ? { prefer: 'wait=30' } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { id: string; status: string; error?: unknown };
  if (res.status >= 300 || (wait && json.status !== 'succeeded'))
    throw new Error(`${res.status}: ${JSON.stringify(json)}`);
  return json;
}

const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
const usage = async (key: string) => Number((await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
const rows: string[] = [];

try {
  const toRoot = { ALTO_PAYLOAD_OUTPUT_ROOT: `gs://${BUCKET}/auto/`, ALTO_INLINE_OUTPUT_MAX_BYTES: '65536' };
  for (const [what, body, extra] of [
    ['inline', inline, {}],
    ['inline input, output over ALTO_INLINE_OUTPUT_MAX_BYTES (64 KiB) to the output root', inline, toRoot],
    ['by reference (input uri, output_uri)', byRef, {}],
  ] as const) {
    const prefix = `pm${rows.length}`;
    const keys = makeKeys(prefix);
    const worker = () =>
      startWorker(env(prefix), {
        id: `pm-${rows.length}`,
        repository: repo,
        env: { ALTO_XLA_RUNTIME: 'off', ...extra },
      });
    // A worker publishes the model's metadata, then stops so the measured requests stay queued.
    const first = await worker();
    const url = await gateway(prefix);
    // Warm: one prediction through, so lazily created keys exist before measuring.
    await post(url, body, true);
    await first.stop();
    const before = await usedMemory();
    for (let i = 0; i < N; i++) await post(url, body, false);
    const queued = (await usedMemory()) - before;
    const stream = await usage(keys.stream('sim'));
    // Now served: the queued ones complete.
    const worker2 = await worker();
    procs.push(worker2);
    const done = [];
    for (let i = 0; i < N; i++) done.push(await post(url, body, true));
    const hashes = await Promise.all(done.map((p) => usage(keys.prediction('sim', p.id))));
    const perHash = Math.round(hashes.reduce((a, b) => a + b, 0) / hashes.length);
    const cells = [queued / N, stream / N, perHash].map((n) => Math.round(n).toLocaleString('en'));
    rows.push(`| ${what} | ${cells.join(' | ')} |`);
  }
  console.log(
    `N = ${N} predictions each way; input and output [1, ${WIDTH}] FP32 (${(WIDTH * 4).toLocaleString('en')} bytes)\n`,
  );
  console.log(
    '| tensors | used_memory per queued prediction (B) | stream MEMORY USAGE per entry (B) | prediction hash MEMORY USAGE, succeeded (B) |',
  );
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(r);
} finally {
  client.disconnect();
  await Promise.all(procs.map((p) => p.stop()));
  await gcs.stop();
  await redis.stop();
  rmSync(repo, { recursive: true, force: true });
}
