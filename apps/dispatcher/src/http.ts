// The dispatcher's small HTTP surface: /healthz for container probes, /metrics for Prometheus.
import { createServer } from 'node:http';
import { getRequestListener, type ServerType } from '@hono/node-server';
import { listen } from '@alto/procs';
import type { Registry } from '@alto/telemetry';
import { Hono } from 'hono';

export async function startDispatcherHttp(
  host: string,
  port: number,
  stopping: () => boolean,
  registry?: Registry,
): Promise<ServerType> {
  const app = new Hono();
  app.get('/healthz', (c) => (stopping() ? c.json({ status: 'stopping' }, 503) : c.json({ status: 'ok' })));
  if (registry) {
    app.get('/metrics', async (c) => c.text(await registry.metrics(), 200, { 'content-type': registry.contentType }));
  }
  const server = createServer(getRequestListener(app.fetch));
  await listen(server, port, host, 'ALTO_METRICS_PORT');
  return server;
}
