// One delivery attempt against real HTTP servers on 127.0.0.1.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AddressPolicy, parseAllowList } from './address-policy.ts';
import { Deliverer } from './deliver.ts';
import { checkWebhookHost, type Resolver } from './guarded-lookup.ts';
import { generateSecret, parseSecrets } from './signature.ts';

interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('delivering one attempt', () => {
  let server: Server;
  let port: number;
  let handler: (req: IncomingMessage, res: ServerResponse) => void;
  const seen: Seen[] = [];
  const secret = generateSecret();
  const loopback = new AddressPolicy(parseAllowList('127.0.0.1/32'));
  const deliverers: Deliverer[] = [];
  const deliverer = (policy = loopback, extra: { timeoutMs?: number; resolve?: Resolver } = {}) => {
    const d = new Deliverer({ keys: parseSecrets(secret), policy, ...extra });
    deliverers.push(d);
    return d;
  };
  const body = JSON.stringify({
    type: 'prediction.completed',
    timestamp: new Date().toISOString(),
    data: { id: 'tiny.a' },
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        handler(req, res);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => {
    seen.length = 0;
    for (const d of deliverers.splice(0)) d.close();
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('POSTs the body signed the Standard Webhooks way, which the standardwebhooks package verifies', async () => {
    handler = (_req, res) => res.writeHead(204).end();
    const r = await deliverer().deliver({
      url: `http://127.0.0.1:${port}/hook?x=1`,
      webhookId: 'tiny.a.completed',
      body,
    });
    expect(r).toEqual({ status: 204, error: null, retryAfterMs: null });
    expect(seen).toHaveLength(1);
    const [s] = seen;
    expect(s!.path).toBe('/hook?x=1');
    expect(s!.body).toBe(body);
    expect(s!.headers['content-type']).toBe('application/json');
    expect(s!.headers['webhook-id']).toBe('tiny.a.completed');
    expect(Math.abs(Number(s!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
    expect(new Webhook(secret).verify(s!.body, s!.headers as Record<string, string>)).toEqual(JSON.parse(body));
  });

  it('does not follow a redirect: a 3xx is a failure and its target is never requested', async () => {
    handler = (req, res) => res.writeHead(req.url === '/hook' ? 302 : 200, { location: '/elsewhere' }).end();
    const r = await deliverer().deliver({ url: `http://127.0.0.1:${port}/hook`, webhookId: 'a', body });
    expect(r.status).toBe(302);
    expect(r.error).toMatch(/^HTTP 302: redirect not followed \(Location: \/elsewhere\)/);
    expect(seen.map((s) => s.path)).toEqual(['/hook']);
  });

  it('reports the status and the start of the answer of a failure, and Retry-After on 429', async () => {
    handler = (_req, res) => res.writeHead(500).end(`database\n  is down ${'x'.repeat(1000)}`);
    const r = await deliverer().deliver({ url: `http://127.0.0.1:${port}/`, webhookId: 'a', body });
    expect(r.status).toBe(500);
    expect(r.error).toMatch(/^HTTP 500: database is down x+…$/);
    expect(r.error!.length).toBeLessThan(250);
    handler = (_req, res) => res.writeHead(429, { 'retry-after': '7' }).end();
    expect(await deliverer().deliver({ url: `http://127.0.0.1:${port}/`, webhookId: 'a', body })).toMatchObject({
      status: 429,
      retryAfterMs: 7000,
    });
  });

  it('reads at most 4 KiB of an answer: an endless one does not hold the attempt', async () => {
    let written = 0;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      const pump = () => {
        for (let more = true; more && !res.destroyed;) {
          more = res.write(chunk);
          written += chunk.length;
        }
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    };
    const started = Date.now();
    const r = await deliverer(loopback, { timeoutMs: 5000 }).deliver({
      url: `http://127.0.0.1:${port}/`,
      webhookId: 'a',
      body,
    });
    expect(r).toEqual({ status: 200, error: null, retryAfterMs: null });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(written).toBeGreaterThan(0);
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    handler = () => {}; // never answers
    const started = Date.now();
    const r = await deliverer(loopback, { timeoutMs: 300 }).deliver({
      url: `http://127.0.0.1:${port}/`,
      webhookId: 'a',
      body,
    });
    expect(r).toEqual({ status: null, error: 'no answer within 300 ms', retryAfterMs: null });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a loopback receiver by default, by address literal or by name, without connecting', async () => {
    handler = (_req, res) => res.writeHead(200).end();
    const d = deliverer(new AddressPolicy());
    const literal = await d.deliver({ url: `http://127.0.0.1:${port}/`, webhookId: 'a', body });
    expect(literal).toMatchObject({ status: null, error: expect.stringMatching(/^refused: 127\.0\.0\.1 is loopback/) });
    const mapped = await d.deliver({ url: `http://[::ffff:127.0.0.1]:${port}/`, webhookId: 'a', body });
    expect(mapped.error).toMatch(/^refused: .*loopback.*IPv4-mapped 127\.0\.0\.1/);
    const named = await d.deliver({ url: `http://localhost:${port}/`, webhookId: 'a', body });
    expect(named.error).toMatch(/^refused: host 'localhost' resolves only to refused addresses: .*loopback/);
    expect(seen).toEqual([]);
  });

  it('refuses at connect time a host that resolved to a public address when checked and to a private one now (DNS rebinding)', async () => {
    handler = (_req, res) => res.writeHead(200).end();
    const answers = ['93.184.216.34', '127.0.0.1'];
    const lookups: string[] = [];
    const rebinding: Resolver = async (host) => {
      lookups.push(host);
      const address = answers.shift() ?? '127.0.0.1';
      return [{ address, family: 4 }];
    };
    const policy = new AddressPolicy();
    const url = `http://hooks.rebind.test:${port}/`;
    // Submit time: the host looks public.
    expect(await checkWebhookHost(new URL(url), policy, { resolve: rebinding })).toBeUndefined();
    // Delivery: the same host now answers with loopback; the connection is refused.
    const r = await deliverer(policy, { resolve: rebinding }).deliver({ url, webhookId: 'a', body });
    expect(r).toMatchObject({
      status: null,
      error: expect.stringMatching(
        /^refused: host 'hooks\.rebind\.test' resolves only to refused addresses: 127\.0\.0\.1 is loopback/,
      ),
    });
    expect(lookups).toEqual(['hooks.rebind.test', 'hooks.rebind.test']);
    expect(seen).toEqual([]);
  });

  it('connects only to the allowed addresses of a host that has both kinds', async () => {
    handler = (_req, res) => res.writeHead(200).end();
    // 10.0.0.1 is refused; 127.0.0.1 is allowed by the list and is where the receiver is.
    const mixed: Resolver = async () => [
      { address: '10.0.0.1', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    const r = await deliverer(loopback, { resolve: mixed }).deliver({
      url: `http://hooks.mixed.test:${port}/`,
      webhookId: 'a',
      body,
    });
    expect(r.status).toBe(200);
    expect(seen).toHaveLength(1);
  });

  it('at submit time, names the refused address, or the failure to resolve', async () => {
    const policy = new AddressPolicy();
    expect(await checkWebhookHost(new URL('http://169.254.169.254/latest'), policy)).toMatch(
      /^address 169\.254\.169\.254 is cloud metadata/,
    );
    expect(await checkWebhookHost(new URL('http://[fd00:ec2::254]/'), policy)).toMatch(/cloud metadata/);
    expect(await checkWebhookHost(new URL('http://localhost/'), policy)).toMatch(
      /host 'localhost' resolves only to refused addresses/,
    );
    expect(await checkWebhookHost(new URL('http://nowhere.invalid/'), policy)).toMatch(
      /^host 'nowhere\.invalid' (does not resolve \(\w+\)|did not resolve within 3000 ms)$/,
    );
    const slow: Resolver = () => new Promise(() => {});
    expect(await checkWebhookHost(new URL('http://slow.test/'), policy, { resolve: slow, timeoutMs: 50 })).toBe(
      "host 'slow.test' did not resolve within 50 ms",
    );
  });
});
