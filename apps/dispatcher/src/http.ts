// The dispatcher's small HTTP surface: /healthz for container probes.
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';

export function startDispatcherHttp(host: string, port: number, stopping: () => boolean): Promise<ServerType> {
  const app = new Hono();
  app.get('/healthz', (c) => (stopping() ? c.json({ status: 'stopping' }, 503) : c.json({ status: 'ok' })));
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(server));
  });
}
