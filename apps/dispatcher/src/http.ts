// The dispatcher's small HTTP surface: /healthz for container probes.
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';

export function startDispatcherHttp(host: string, port: number, stopping: () => boolean): Promise<ServerType> {
  const app = new Hono();
  app.get('/healthz', (c) => (stopping() ? c.json({ status: 'stopping' }, 503) : c.json({ status: 'ok' })));
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
