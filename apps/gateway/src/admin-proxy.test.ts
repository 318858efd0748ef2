// The gateway's /v1/admin passthrough, in-process against a real HTTP server standing in for
// the publisher: method, path, query, headers and bodies arrive unchanged, bodies stream both
// ways (neither side is buffered), and an unreachable publisher is a 503 in the error format.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@alto/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type GatewayDeps } from './app.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe('admin proxy', () => {
  let upstream: Server;
  let handler: Handler = () => undefined;
  let publisherUrl: string;
  const app = (url: string) =>
    createApp({
      maxBodyBytes: 1024,
      maxWaitSeconds: 1,
      publisherUrl: url,
      log: createLogger({ name: 'test', level: 'silent' }),
    } as GatewayDeps);

  beforeAll(async () => {
    upstream = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    publisherUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('forwards method, path, query, headers and body, and answers with the status, headers and body it got', async () => {
    handler = (req, res) => {
      let body = '';
      req.on('data', (b: Buffer) => (body += b.toString()));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json', 'x-seen': 'yes' });
        res.end(
          JSON.stringify({
            method: req.method,
            url: req.url,
            auth: req.headers.authorization,
            host: req.headers.host,
            body,
          }),
        );
      });
    };
    const res = await app(publisherUrl).request('/v1/admin/models?x=1', {
      method: 'PATCH',
      headers: { authorization: 'Bearer t0ken', 'content-type': 'application/json' },
      body: '{"replicas":2}',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-seen')).toBe('yes');
    expect(await res.json()).toEqual({
      method: 'PATCH',
      url: '/v1/admin/models?x=1',
      auth: 'Bearer t0ken',
      host: new URL(publisherUrl).host,
      body: '{"replicas":2}',
    });
  });

  it("streams the publisher's reply: the first bytes arrive before the publisher has finished", async () => {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first ');
      void finished.then(() => res.end('last'));
    };
    const res = await app(publisherUrl).request('/v1/admin/workers');
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first ');
    finish();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe('last');
  });

  it("streams the client's body: the publisher reads its first bytes before the client has sent the rest", async () => {
    let firstSeen!: () => void;
    const seen = new Promise<void>((resolve) => (firstSeen = resolve));
    handler = (req, res) => {
      let body = '';
      req.on('data', (b: Buffer) => {
        body += b.toString();
        firstSeen();
      });
      req.on('end', () => res.end(body));
    };
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode('one,'));
        await seen;
        controller.enqueue(encoder.encode('two'));
        controller.close();
      },
    });
    const res = await app(publisherUrl).request('/v1/admin/models', {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit);
    expect(await res.text()).toBe('one,two');
  });

  it('answers 503 control_plane_unavailable, with Retry-After, when the publisher cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const res = await app(`http://127.0.0.1:${port}`).request('/v1/admin/models');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('control_plane_unavailable');
    expect(body.error.message).toMatch(
      new RegExp(`^the publisher at http://127\\.0\\.0\\.1:${port} cannot be reached: .*ECONNREFUSED`),
    );
  });

  it('is absent without a publisher: /v1/admin is an unknown route', async () => {
    const metrics = { duration: { observe: () => undefined } } as unknown as GatewayDeps['metrics'];
    const deps = {
      maxBodyBytes: 1,
      maxWaitSeconds: 1,
      metrics,
      log: createLogger({ name: 'test', level: 'silent' }),
    } as GatewayDeps;
    const res = await createApp(deps).request('/v1/admin/models');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});
