// Which peers are trusted to name the client in X-Forwarded-For.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { clientAddress, trustList } from './client-address.ts';

/** The address clientAddress gives for a request from `peer` carrying `xff`. */
async function addressFor(peer: string, xff: string | undefined, trusted: string[]): Promise<string> {
  const app = new Hono();
  app.get('/', (c) => c.text(clientAddress(c, trustList(trusted))));
  const req = new Request('http://x/', { headers: xff === undefined ? {} : { 'x-forwarded-for': xff } });
  const res = await app.fetch(req, { incoming: { socket: { remoteAddress: peer } } });
  return res.text();
}

describe('clientAddress', () => {
  it('takes the last X-Forwarded-For entry from a trusted peer, by address or CIDR', async () => {
    expect(await addressFor('127.0.0.1', '203.0.113.9', ['127.0.0.1'])).toBe('203.0.113.9');
    expect(await addressFor('::ffff:127.0.0.1', '203.0.113.9', ['127.0.0.1'])).toBe('203.0.113.9');
    expect(await addressFor('172.18.0.5', 'spoofed, 203.0.113.9', ['172.16.0.0/12'])).toBe('203.0.113.9');
    expect(await addressFor('::1', '2001:db8::1', ['::1'])).toBe('2001:db8::1');
  });

  it('ignores X-Forwarded-For from any other peer', async () => {
    expect(await addressFor('198.51.100.4', '203.0.113.9', ['127.0.0.1', '172.16.0.0/12'])).toBe('198.51.100.4');
    expect(await addressFor('172.32.0.1', '203.0.113.9', ['172.16.0.0/12'])).toBe('172.32.0.1');
  });

  it('a trusted peer without the header is itself the client', async () => {
    expect(await addressFor('127.0.0.1', undefined, ['127.0.0.1'])).toBe('127.0.0.1');
  });

  it('refuses an entry that is neither an address nor a CIDR, naming it', () => {
    expect(() => trustList(['gateway.local'])).toThrow("expected an IP address or CIDR, got 'gateway.local'");
    expect(() => trustList(['10.0.0.0/x'])).toThrow("got '10.0.0.0/x'");
  });
});
