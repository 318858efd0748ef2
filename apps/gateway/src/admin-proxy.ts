// Passes /v1/admin/* through to the publisher, so one address serves predictions and the
// admin API (the CLI's ALTO_URL). The publisher checks the admin token itself.
import { request, type IncomingMessage, type ServerResponse } from 'node:http';

export const isAdminPath = (url: string | undefined) => url === '/v1/admin' || !!url?.startsWith('/v1/admin/');

export function proxyAdmin(publisherUrl: string, req: IncomingMessage, res: ServerResponse): void {
  const target = new URL(req.url ?? '/', publisherUrl);
  const headers = { ...req.headers, host: target.host };
  const upstream = request(target, { method: req.method, headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  upstream.on('error', (err) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ error: { code: 'model_unavailable', message: `the publisher at ${publisherUrl} cannot be reached: ${err.message}` } });
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end(body);
  });
  req.pipe(upstream);
}
