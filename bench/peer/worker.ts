// The "peer" scenario's worker: a BullMQ Worker calling session.run once per job.
import { Worker } from 'bullmq';
import ort from 'onnxruntime-node';
import { redisOptions } from './redis-options.ts';

const session = await ort.InferenceSession.create(process.env.MODEL_PATH!, {
  intraOpNumThreads: Number(process.env.THREADS ?? 1),
  interOpNumThreads: 1,
});
const worker = new Worker(
  'peer',
  async (job) => {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(
      job.data as Record<string, { shape: number[]; b64?: string; data?: number[] }>,
    )) {
      let values: Float32Array;
      if (t.b64) {
        const b = Buffer.from(t.b64, 'base64');
        values = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
      } else {
        values = Float32Array.from(t.data!.flat(Infinity as 1) as number[]);
      }
      feeds[name] = new ort.Tensor('float32', values, t.shape);
    }
    const out = await session.run(feeds);
    const result: Record<string, { shape: readonly number[]; data: number[] }> = {};
    for (const [name, t] of Object.entries(out))
      result[name] = { shape: t.dims, data: Array.from(t.data as Float32Array) };
    return result;
  },
  { connection: redisOptions(process.env.REDIS_URL!), concurrency: 1 },
);
await worker.waitUntilReady();
console.log('peer worker ready');
