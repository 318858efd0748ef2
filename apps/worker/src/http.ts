// The worker's small HTTP surface: /healthz and /metrics for probes and Prometheus.
import { serve, type ServerType } from '@hono/node-server';
import type { Registry } from '@alto/telemetry';
import { Hono } from 'hono';
import type { WorkerProcess } from './worker.ts';

export function startWorkerHttp(
  worker: WorkerProcess,
  registry: Registry,
  host: string,
  port: number,
): Promise<ServerType> {
  const app = new Hono();
  app.get('/healthz', (c) =>
    c.json(
      { status: worker.state, models: worker.models.map((m) => ({ name: m.name, version: m.version })) },
      worker.state === 'running' ? 200 : 503,
    ),
  );
  app.get('/metrics', async (c) => c.text(await registry.metrics(), 200, { 'content-type': registry.contentType }));
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, () => {
      server.off('error', onError);
      resolve(server);
    });
    // Without this a taken port is an uncaught EADDRINUSE with a stack trace.
    const onError = (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`port ${port} on ${host} is in use; set ALTO_METRICS_PORT to a free port, or 0 for any`)
          : err,
      );
    server.once('error', onError);
  });
}
