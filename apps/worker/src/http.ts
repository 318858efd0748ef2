// The worker's small HTTP surface: /healthz and /metrics for probes and Prometheus.
import { createServer } from 'node:http';
import { getRequestListener, type ServerType } from '@hono/node-server';
import { listen } from '@alto/procs';
import type { Registry } from '@alto/telemetry';
import { Hono } from 'hono';
import type { WorkerProcess } from './worker.ts';

export async function startWorkerHttp(
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
  const server = createServer(getRequestListener(app.fetch));
  await listen(server, port, host, 'ALTO_METRICS_PORT');
  return server;
}
