// The Redis side of a fleet, without HTTP and without models: what the gateway and the
// workers send Redis for each prediction, through the same @alto/queue calls (a watch and the
// model's notice channel, the enqueue script, the owner index script; a worker's XREADGROUP,
// start and complete scripts; the notice with the record), in a closed loop that keeps many
// predictions in flight across many models. On a machine whose cores also run the fleet,
// the real gateway and workers run out of CPU long before Redis does; this driver spends far
// less per prediction, so Redis's CPU per prediction is measured with Redis busy, which is
// what its ceiling is about. Periodic work (heartbeats, reclaims, catalog reads) is not here:
// it does not grow with predictions.
import { encodeTensors, newPredictionId, type TensorMap } from '@alto/protocol';
import {
  CompletionHub,
  OwnerIndex,
  PredictionStore,
  StreamConsumer,
  connect,
  connectLike,
  keys as makeKeys,
} from '@alto/queue';
import type { Redis } from 'ioredis';

export interface DriverOptions {
  url: string;
  cluster: boolean;
  prefix: string;
  models: string[];
  /** Predictions in flight at once, spread over the models. */
  inFlight: number;
  /** The tensors of every request. */
  tensors: TensorMap;
  /** API keys the requests are spread over (each its own owner index). @default 1 */
  owners?: number;
}

export interface Driver {
  /** Predictions answered so far (their waits saw the notice). */
  readonly answered: number;
  /** Notices received that carried the finished record. */
  readonly carried: number;
  /** Starts no new request (those in flight finish) until resume(). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

const RETENTION_MS = 3_600_000;

export async function startDriver(o: DriverOptions): Promise<Driver> {
  const keys = makeKeys(o.prefix);
  const redis = await connect(o.url, { name: 'driver', cluster: o.cluster });
  const workerConn = await connectLike(redis, { name: 'driver-worker' });
  // A blocking connection per model, as a worker has: an idle model costs Redis nothing.
  const blocking = await Promise.all(o.models.map((m) => connectLike(redis, { name: `driver-${m}` })));
  const subscriber = await connectLike(redis, { name: 'driver-notices', shardedSubscribers: true });
  const hub = new CompletionHub(subscriber, { keys, gateway: 'driver' });
  await hub.start();
  const store = new PredictionStore(redis, keys);
  const owners = new OwnerIndex(redis, keys, store);
  const consumers = o.models.map(
    (model) =>
      new StreamConsumer(workerConn, workerConn, keys, { model, consumer: 'driver-w', retentionMs: RETENTION_MS }),
  );
  for (const c of consumers) await c.ensureGroup();
  for (const model of o.models) await hub.listen(model);

  let running = true;
  let paused: { promise: Promise<void>; resume: () => void } | undefined;
  let answered = 0;
  let carried = 0;

  // The gateway: a request waits for its notice, then the next one starts on the next model.
  let next = 0;
  const client = async (lane: number) => {
    while (running) {
      if (paused) await paused.promise;
      if (!running) break;
      const model = o.models[next++ % o.models.length]!;
      const id = newPredictionId(model);
      const watch = hub.watch(id);
      try {
        const notify = await hub.listen(model);
        const createdAt = Date.now();
        const owner = `owner-${lane % (o.owners ?? 1)}`;
        await store.enqueue({ id, model, version: '1', format: 'json', tensors: o.tensors, createdAt, owner, notify });
        await owners.add(owner, id, createdAt, RETENTION_MS);
        while (running && (await watch.next(5000)) !== 'done');
        if (watch.carried()) carried++;
        answered++;
      } finally {
        watch.dispose();
      }
    }
  };

  // The workers: one loop per model, batches of up to 32, outputs = inputs.
  const worker = async (c: StreamConsumer) => {
    while (running) {
      const entries = await c.read(32, 500);
      if (entries.length === 0) continue;
      const { run } = await c.start(entries);
      await c.complete(
        run.map((entry) => ({
          entry,
          outcome: {
            kind: 'succeeded' as const,
            outputs: encodeTensors(entry.inputs),
            queueMs: 0,
            predictMs: 0,
            batchSize: run.length,
          },
        })),
      );
    }
  };

  const loops = [...Array.from({ length: o.inFlight }, (_, i) => client(i)), ...consumers.map((c) => worker(c))].map(
    (p) => p.catch((err: unknown) => err),
  );

  function resume() {
    const p = paused;
    paused = undefined;
    p?.resume();
  }

  return {
    get answered() {
      return answered;
    },
    get carried() {
      return carried;
    },
    pause() {
      if (paused) return;
      let resume = () => {};
      const promise = new Promise<void>((r) => (resume = r));
      paused = { promise, resume };
    },
    resume,
    async stop() {
      running = false;
      resume();
      await hub.stop();
      const errors = (await Promise.all(loops)).filter((e) => e !== undefined);
      for (const conn of [redis, workerConn, ...blocking] as Redis[]) await conn.quit().catch(() => conn.disconnect());
      if (errors.length > 0 && errors.some((e) => !/Connection is closed|timed out/i.test(String(e)))) {
        throw new Error(`driver: ${errors.length} loop(s) failed, first: ${String(errors[0])}`);
      }
    },
  };
}
