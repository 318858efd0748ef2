// The dispatcher's small HTTP surface: /healthz for container probes.
import { createServer } from 'node:http';
import { getRequestListener, type ServerType } from '@hono/node-server';
import { listen } from '@alto/procs';
import { Hono } from 'hono';

export async function startDispatcherHttp(host: string, port: number, stopping: () => boolean): Promise<ServerType> {
  const app = new Hono();
  app.get('/healthz', (c) => (stopping() ? c.json({ status: 'stopping' }, 503) : c.json({ status: 'ok' })));
  const server = createServer(getRequestListener(app.fetch));
  await listen(server, port, host, 'ALTO_METRICS_PORT');
  return server;
}
