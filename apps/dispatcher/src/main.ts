// Dispatcher entry point: `node --import tsx apps/dispatcher/src/main.ts`. Delivers the
// webhook events of predictions (docs/webhooks.md).
import { envOrExit } from '@alto/config';
import { createLogger, startTracing, tracingSettings } from '@alto/telemetry';
import type { AddressInfo } from 'node:net';
import { startDispatcher } from './dispatcher.ts';
import { startDispatcherHttp } from './http.ts';
import { loadEnv } from './env.ts';

const env = envOrExit('dispatcher', () => loadEnv());
const log = createLogger({ name: 'dispatcher', level: env.ALTO_LOG_LEVEL }).child({
  dispatcher: env.ALTO_DISPATCHER_ID,
});

// Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/operations.md).
const tracing = await startTracing(tracingSettings('dispatcher', process.env));

try {
  const dispatcher = await startDispatcher(env, log);
  let stopping = false;
  const http = await startDispatcherHttp(
    env.ALTO_HOST,
    env.ALTO_METRICS_PORT,
    () => stopping,
    dispatcher.metrics.registry,
  );
  log.info(
    {
      attempts: env.ALTO_WEBHOOK_RETRY_SCHEDULE.length,
      allow: env.ALTO_WEBHOOK_ALLOW_CIDRS.map((c) => c.text),
      healthz_port: (http.address() as AddressInfo).port,
    },
    'dispatcher ready',
  );
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'dispatcher stopping: finishing deliveries in flight');
    // Deliveries cut short are made again by the next dispatcher: nothing is lost.
    const hard = setTimeout(() => process.exit(0), env.ALTO_WEBHOOK_TIMEOUT_MS + 5000);
    hard.unref();
    await dispatcher.close().catch((err: unknown) => log.warn({ err }, 'closing the dispatcher failed'));
    http.close();
    await tracing.shutdown().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
} catch (err) {
  log.fatal({ err }, 'dispatcher failed to start');
  process.exit(1);
}
