// Gateway entry point: `node --import tsx apps/gateway/src/main.ts`.
import { applyHeapGrowing, envOrExit } from '@alto/config';
import { createLogger, startTracing, tracingSettings } from '@alto/telemetry';
import { loadEnv } from './env.ts';
import { startGateway } from './server.ts';

const env = envOrExit('gateway', () => loadEnv());
applyHeapGrowing(env.ALTO_HEAP_GROWING_PERCENT);
const log = createLogger({ name: 'gateway', level: env.ALTO_LOG_LEVEL });
// Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/operations.md).
const tracing = await startTracing(tracingSettings('gateway', process.env));

try {
  const gateway = await startGateway(env, log);
  const grpc = gateway.grpcPort === undefined ? {} : { grpc: `${env.ALTO_HOST}:${gateway.grpcPort}` };
  log.info({ url: `http://${env.ALTO_HOST}:${gateway.port}`, ...grpc }, 'gateway listening');
  if (env.ALTO_API_KEYS.length === 0 && !env.ALTO_MANAGED_API_KEYS) log.info('no API keys: listening on loopback only');
  else {
    const managed = env.ALTO_MANAGED_API_KEYS;
    log.info({ keys: env.ALTO_API_KEYS.length, managed }, 'API keys required on the prediction routes');
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'gateway stopping');
    // Held `Prefer: wait` responses are answered with the current state as the server closes.
    const hard = setTimeout(() => process.exit(0), 5000);
    hard.unref();
    await gateway.close().catch(() => {});
    await tracing.shutdown().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
} catch (err) {
  log.fatal({ err }, 'gateway failed to start');
  process.exit(1);
}
