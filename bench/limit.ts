// The "limit" scenario: onnxruntime-node in this process, nothing else — what the hardware
// does with the same thread budget as one worker. Batch 1, then the batch sizes in `batches`.
// Prints one JSON line: { batch1: {throughput, p50, p90, p99}, best: {batch, throughput} }.
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
const session = await ort.InferenceSession.create(spec.modelPath, { intraOpNumThreads: spec.threads, interOpNumThreads: 1 });
const per = spec.shape.slice(1).reduce((a, b) => a * b, 1);

async function measure(batch: number, seconds: number): Promise<{ rows: number; latencies: number[] }> {
  const data = Float32Array.from({ length: batch * per }, (_, i) => Math.sin(i) * 0.5);
  const feeds = { [spec.input]: new ort.Tensor('float32', data, [batch, ...spec.shape.slice(1)]) };
  for (let i = 0; i < 5; i++) await session.run(feeds); // warm-up
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await session.run(feeds);
    latencies.push(performance.now() - t0);
  }
  return { rows: latencies.length * batch, latencies };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const one = await measure(1, spec.seconds);
one.latencies.sort((a, b) => a - b);
const pct = (p: number) => one.latencies[Math.floor((p / 100) * (one.latencies.length - 1))]!;
let best = { batch: 1, throughput: one.rows / spec.seconds };
for (const b of spec.batches) {
  const r = await measure(b, spec.seconds);
  const throughput = r.rows / spec.seconds;
  if (throughput > best.throughput) best = { batch: b, throughput };
}
process.stdout.write(
  JSON.stringify({
    batch1: { throughput: round(one.rows / spec.seconds), p50: round(pct(50)), p90: round(pct(90)), p99: round(pct(99)) },
    best: { batch: best.batch, throughput: round(best.throughput) },
  }) + '\n',
);
