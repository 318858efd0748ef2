// The address an admin request came from: the socket's peer, or, when that peer is a trusted
// proxy (a gateway passing /v1/admin on), the last address it put in X-Forwarded-For. Used to
// limit failed logins and to say in the audit log where an action came from.
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { Context } from 'hono';

/** Trusted proxies: addresses and CIDRs (`10.0.0.0/8`); IPv4-mapped IPv6 peers match their IPv4 entries. */
export function trustList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const e of entries) {
    const [address, bits] = e.split('/');
    const family = isIP(address ?? '') === 6 ? 'ipv6' : 'ipv4';
    if (isIP(address ?? '') === 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
      throw new Error(`ALTO_ADMIN_TRUSTED_PROXIES: expected an IP address or CIDR, got '${e}'`);
    }
    if (bits === undefined) list.addAddress(address!, family);
    else list.addSubnet(address!, Number(bits), family);
  }
  return list;
}

function trusted(list: BlockList, peer: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(peer)?.[1];
  if (mapped && list.check(mapped, 'ipv4')) return true;
  const family = isIP(peer);
  return family !== 0 && list.check(peer, family === 6 ? 'ipv6' : 'ipv4');
}

export function clientAddress(c: Context, trustedProxies: BlockList | undefined): string {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const peer = incoming?.socket?.remoteAddress ?? 'unknown';
  if (!trustedProxies || !trusted(trustedProxies, peer)) return peer;
  // The entry the trusted proxy appended is the last one; earlier ones are the client's word.
  const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
  return forwarded || peer;
}
