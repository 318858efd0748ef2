// The "limit" scenario: onnxruntime-node in this process, nothing else — what the hardware
// does with the same thread budget as one worker. Batch 1, then the batch sizes in `batches`.
// Then batch 1 again with the core left idle for IDLE_MS between runs, as an inference on a
// worker at concurrency 1 waits for the next request: a core that idles between runs
// computes each one more slowly (caches and frequency go cold), which an in-process loop
// never shows.
// Prints one JSON line: { batch1: {throughput, p50, p90, p99}, best: {batch, throughput},
// paced: {idleMs, p50, p90, p99} }.
import ort from 'onnxruntime-node';

interface LimitSpec {
  modelPath: string;
  input: string;
  /** Shape of one request, dim 0 = 1. */
  shape: number[];
  threads: number;
  batches: number[];
  seconds: number;
}

const spec = JSON.parse(process.argv[2]!) as LimitSpec;
const session = await ort.InferenceSession.create(spec.modelPath, {
  intraOpNumThreads: spec.threads,
  interOpNumThreads: 1,
});
const per = spec.shape.slice(1).reduce((a, b) => a * b, 1);

const IDLE_MS = 3;

async function measure(batch: number, seconds: number, idleMs = 0): Promise<{ rows: number; latencies: number[] }> {
  const data = Float32Array.from({ length: batch * per }, (_, i) => Math.sin(i) * 0.5);
  const feeds = { [spec.input]: new ort.Tensor('float32', data, [batch, ...spec.shape.slice(1)]) };
  for (let i = 0; i < 5; i++) await session.run(feeds); // warm-up
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await session.run(feeds);
    latencies.push(performance.now() - t0);
    if (idleMs > 0) await new Promise((r) => setTimeout(r, idleMs));
  }
  return { rows: latencies.length * batch, latencies };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
const at = (xs: number[], p: number) => round(xs[Math.floor((p / 100) * (xs.length - 1))]!);
const one = await measure(1, spec.seconds);
const pct = (p: number) => at(sorted(one.latencies), p);
let best = { batch: 1, throughput: one.rows / spec.seconds };
for (const b of spec.batches) {
  const r = await measure(b, spec.seconds);
  const throughput = r.rows / spec.seconds;
  if (throughput > best.throughput) best = { batch: b, throughput };
}
const paced = sorted((await measure(1, spec.seconds, IDLE_MS)).latencies);
process.stdout.write(
  JSON.stringify({
    batch1: { throughput: round(one.rows / spec.seconds), p50: pct(50), p90: pct(90), p99: pct(99) },
    best: { batch: best.batch, throughput: round(best.throughput) },
    paced: { idleMs: IDLE_MS, p50: at(paced, 50), p90: at(paced, 90), p99: at(paced, 99) },
  }) + '\n',
);
