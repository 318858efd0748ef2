// Worker entry point: `node --import tsx apps/worker/src/main.ts`.
import { applyHeapGrowing, envOrExit } from '@alto/config';
import type { AddressInfo } from 'node:net';
import { prepareOnnxRuntime, ProviderUnavailableError, type OnnxRuntimeBuild } from '@alto/runtime';
import { createLogger, startTracing, tracingSettings } from '@alto/telemetry';
import { loadEnv } from './env.ts';
import { startWorkerHttp } from './http.ts';
import { createWorkerMetrics } from './metrics.ts';
import { PublisherAssignments } from './assignments.ts';
import { LocalAssignments } from './local-assignments.ts';
import { ManagedWorker } from './managed.ts';
import type { WorkerProcess } from './worker.ts';

const env = envOrExit('worker', () => loadEnv());
applyHeapGrowing(env.ALTO_HEAP_GROWING_PERCENT);
// Before any inference thread loads onnxruntime-node: which build runs, and can the provider start here.
let onnxruntime: OnnxRuntimeBuild;
try {
  onnxruntime = prepareOnnxRuntime({ provider: env.ALTO_EXECUTION_PROVIDER, dir: env.ALTO_ONNXRUNTIME_DIR });
} catch (err) {
  if (!(err instanceof ProviderUnavailableError)) throw err;
  process.stderr.write(`alto worker: ${err.message}\n`);
  process.exit(1);
}
const log = createLogger({ name: 'worker', level: env.ALTO_LOG_LEVEL }).child({ worker: env.ALTO_WORKER_ID });
const metrics = createWorkerMetrics(env.ALTO_WORKER_ID);
// Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/operations.md).
const tracing = await startTracing(tracingSettings('worker', process.env));
// With ALTO_MODEL_REPOSITORY the worker serves that directory on its own, without a publisher.
const repository = env.ALTO_MODEL_REPOSITORY;
const worker: WorkerProcess = new ManagedWorker(env, log, metrics, ({ redis, keys, registry, runtimes }) =>
  repository
    ? new LocalAssignments(repository, env.ALTO_MODELS, registry, runtimes, log)
    : new PublisherAssignments(redis, keys, env.ALTO_WORKER_ID),
);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping: finishing in-flight batches');
  const ok = await worker.stop(env.ALTO_SHUTDOWN_GRACE_MS);
  server?.close();
  await tracing.shutdown().catch(() => {});
  process.exit(ok ? 0 : 1);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

let server: Awaited<ReturnType<typeof startWorkerHttp>> | undefined;
try {
  await worker.start();
  server = await startWorkerHttp(worker, metrics.registry, env.ALTO_HOST, env.ALTO_METRICS_PORT);
  const { port } = server.address() as AddressInfo;
  const models = worker.models.map((m) => `${m.name}@${m.version}`);
  log.info({ models, metrics_port: port, onnxruntime: onnxruntime.library ?? onnxruntime.kind }, 'worker ready');
} catch (err) {
  log.fatal({ err }, 'worker failed to start');
  await worker.stop(1000).catch(() => {});
  process.exit(1);
}
