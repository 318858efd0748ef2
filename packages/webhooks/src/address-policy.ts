// Which IP addresses webhook deliveries may connect to. By default every address that is
// not on the public Internet is refused — loopback, private, link-local, CGNAT, multicast,
// unspecified, broadcast, reserved, documentation and cloud metadata addresses — including
// IPv4 addresses embedded in IPv6 ones (::ffff:127.0.0.1, NAT64, 6to4, Teredo). It judges
// parsed addresses, never URL text: guarded-lookup.ts applies it to the address a socket
// actually connects to. An allow list of CIDRs admits chosen internal receivers.
//
// Parsing and prefix matching are ipaddr.js's; which text counts as an address at all is
// node:net's (dotted quads and RFC 4291 IPv6 only), because ipaddr.js also reads the
// ambiguous forms `127.1`, `0x7f.1` and `2130706433`, which this guard must never see as
// addresses. The ranges and their reasons are this file's own table.
import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** The address in `text` (brackets and an IPv6 zone allowed), or undefined when it is none. */
function parseAddress(text: string): Address | undefined {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  if (isIPv4(s)) return ipaddr.IPv4.parse(s);
  if (!isIPv6(s)) return undefined;
  // ipaddr.js reads `::a.b.c.d` as the IPv4-mapped `::ffff:a.b.c.d`; RFC 4291 (and the
  // socket) make it the IPv4-compatible `::x:y`, another host. A trailing dotted quad
  // therefore becomes its two hex groups before ipaddr.js sees it.
  const hex = s.replace(
    /(\d+)\.(\d+)\.(\d+)\.(\d+)$/,
    (_, a: string, b: string, c: string, d: string) =>
      `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
  return ipaddr.IPv6.parse(hex);
}

/** 4 bytes for IPv4, 16 for IPv6, or undefined when `text` is not an address. */
export function parseIp(text: string): Uint8Array | undefined {
  const a = parseAddress(text);
  return a && Uint8Array.from(a.toByteArray());
}

export interface Cidr {
  /** The network, as ipaddr.js matches it. */
  range: [Address, number];
  prefix: number;
  /** As written, for messages. */
  text: string;
}

/** Parses `a.b.c.d/n`, `v6::/n`, or a bare address (a /32 or /128). */
export function parseCidr(text: string): Cidr {
  const [addr = '', len, ...rest] = text.trim().split('/');
  const address = parseAddress(addr);
  if (!address || rest.length > 0)
    throw new Error(`'${text}' is not an IP address or CIDR (e.g. 10.0.0.0/8, fd00::/8)`);
  const max = address.kind() === 'ipv4' ? 32 : 128;
  const prefix = len === undefined ? max : Number(len);
  if (!/^\d+$/.test(len ?? String(max)) || prefix > max) {
    throw new Error(`'${text}': the prefix length must be 0..${max}`);
  }
  return { range: [address, prefix], prefix, text: text.trim() };
}

/** Whether `a` is in `c`; an IPv4 address is never in an IPv6 network, nor the other way. */
const inCidr = (a: Address, c: Cidr): boolean => a.kind() === c.range[0].kind() && a.match(c.range);

const v4At = (a: ipaddr.IPv6, from: number, flip = false): ipaddr.IPv4 =>
  new ipaddr.IPv4(
    a
      .toByteArray()
      .slice(from, from + 4)
      .map((x) => (flip ? x ^ 0xff : x)),
  );

const rules = (list: [string, string][]) => list.map(([cidr, reason]) => ({ cidr: parseCidr(cidr), reason }));

// Most specific first: the first match names the reason.
const V4 = rules([
  ['169.254.169.254/32', 'cloud metadata'],
  ['100.100.100.200/32', 'cloud metadata'], // Alibaba Cloud
  ['168.63.129.16/32', 'cloud metadata'], // Azure platform endpoint
  ['255.255.255.255/32', 'broadcast'],
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4 relay anycast'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
]);

const V6 = rules([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fd00:ec2::254/128', 'cloud metadata'], // AWS IMDS over IPv6
  ['64:ff9b:1::/48', 'NAT64 local-use'],
  ['100::/64', 'discard-only'],
  ['2001:db8::/32', 'documentation'],
  ['2001:2::/48', 'benchmarking'],
  ['3fff::/20', 'documentation'],
  ['fc00::/7', 'private (unique local)'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
]);

/** IPv6 forms that carry an IPv4 address, and where. Reaching one reaches (or spoofs) that IPv4 host. */
const EMBEDDINGS: { cidr: Cidr; kind: string; at: (a: ipaddr.IPv6) => ipaddr.IPv4[] }[] = [
  { cidr: parseCidr('::ffff:0:0/96'), kind: 'IPv4-mapped', at: (a) => [v4At(a, 12)] },
  { cidr: parseCidr('::ffff:0:0:0/96'), kind: 'IPv4-translated', at: (a) => [v4At(a, 12)] },
  { cidr: parseCidr('::/96'), kind: 'IPv4-compatible', at: (a) => [v4At(a, 12)] },
  { cidr: parseCidr('64:ff9b::/96'), kind: 'NAT64', at: (a) => [v4At(a, 12)] },
  { cidr: parseCidr('2002::/16'), kind: '6to4', at: (a) => [v4At(a, 2)] },
  // Teredo: the server's address in clear, the client's obfuscated (every bit flipped).
  { cidr: parseCidr('2001::/32'), kind: 'Teredo', at: (a) => [v4At(a, 4), v4At(a, 12, true)] },
];

function classifyV4(a: ipaddr.IPv4): string | undefined {
  const hit = V4.find((r) => inCidr(a, r.cidr));
  return hit && `${hit.reason} (${hit.cidr.text})`;
}

/** Why connecting to `a` is refused by default, or undefined for a public address. */
function classify(a: Address): string | undefined {
  if (a instanceof ipaddr.IPv4) return classifyV4(a);
  const own = V6.find((r) => inCidr(a, r.cidr));
  if (own) return `${own.reason} (${own.cidr.text})`;
  for (const e of EMBEDDINGS) {
    if (!inCidr(a, e.cidr)) continue;
    for (const v4 of e.at(a)) {
      const why = classifyV4(v4);
      if (why) return `${why}, as ${e.kind} ${v4.toString()}`;
    }
  }
  return undefined;
}

export class AddressPolicy {
  /** @param allow CIDRs connections are allowed to even when they are internal. */
  constructor(readonly allow: readonly Cidr[] = []) {}

  /** Why a connection to `address` is refused, or undefined when it is allowed. */
  refusal(address: string): string | undefined {
    const a = parseAddress(address);
    if (!a) return `'${address}' is not an IP address`;
    const why = classify(a);
    if (why === undefined) return undefined;
    // An IPv4-mapped address is the IPv4 host itself: the allow list's IPv4 CIDRs apply.
    const mapped = a instanceof ipaddr.IPv6 && a.isIPv4MappedAddress() ? a.toIPv4Address() : undefined;
    if (this.allow.some((c) => inCidr(a, c) || (mapped !== undefined && inCidr(mapped, c)))) return undefined;
    return `${address} is ${why}`;
  }
}

/** Parses ALTO_WEBHOOK_ALLOW_CIDRS: CIDRs or addresses separated by commas or spaces. */
export function parseAllowList(text: string): Cidr[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(parseCidr);
}
