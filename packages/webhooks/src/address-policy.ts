// Which IP addresses webhook deliveries may connect to. By default every address that is
// not on the public Internet is refused — loopback, private, link-local, CGNAT, multicast,
// unspecified, broadcast, reserved, documentation and cloud metadata addresses — including
// IPv4 addresses embedded in IPv6 ones (::ffff:127.0.0.1, NAT64, 6to4, Teredo). It judges
// parsed addresses, never URL text: guarded-lookup.ts applies it to the address a socket
// actually connects to. An allow list of CIDRs admits chosen internal receivers.
import { isIPv4, isIPv6 } from 'node:net';

type Bytes = Uint8Array;

/** 4 bytes for IPv4, 16 for IPv6, or undefined when `text` is not an address. */
export function parseIp(text: string): Bytes | undefined {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  if (isIPv4(s)) return Uint8Array.from(s.split('.').map(Number));
  if (!isIPv6(s)) return undefined;
  const halves = s.split('::');
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length > 1 ? groups(halves[1]!) : [];
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

const formatV4 = (b: Bytes): string => [...b].join('.');

export interface Cidr {
  bytes: Bytes;
  prefix: number;
  /** As written, for messages. */
  text: string;
}

/** Parses `a.b.c.d/n`, `v6::/n`, or a bare address (a /32 or /128). */
export function parseCidr(text: string): Cidr {
  const [addr = '', len, ...rest] = text.trim().split('/');
  const bytes = parseIp(addr);
  if (!bytes || rest.length > 0) throw new Error(`'${text}' is not an IP address or CIDR (e.g. 10.0.0.0/8, fd00::/8)`);
  const max = bytes.length * 8;
  const prefix = len === undefined ? max : Number(len);
  if (!/^\d+$/.test(len ?? String(max)) || prefix > max) {
    throw new Error(`'${text}': the prefix length must be 0..${max}`);
  }
  return { bytes, prefix, text: text.trim() };
}

function inCidr(b: Bytes, c: Cidr): boolean {
  if (b.length !== c.bytes.length) return false;
  for (let bit = 0; bit < c.prefix; bit += 8) {
    const n = Math.min(8, c.prefix - bit);
    const mask = (0xff << (8 - n)) & 0xff;
    if ((b[bit / 8]! & mask) !== (c.bytes[bit / 8]! & mask)) return false;
  }
  return true;
}

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
const EMBEDDINGS: { cidr: Cidr; kind: string; at: (b: Bytes) => Bytes[] }[] = [
  { cidr: parseCidr('::ffff:0:0/96'), kind: 'IPv4-mapped', at: (b) => [b.subarray(12)] },
  { cidr: parseCidr('::ffff:0:0:0/96'), kind: 'IPv4-translated', at: (b) => [b.subarray(12)] },
  { cidr: parseCidr('::/96'), kind: 'IPv4-compatible', at: (b) => [b.subarray(12)] },
  { cidr: parseCidr('64:ff9b::/96'), kind: 'NAT64', at: (b) => [b.subarray(12)] },
  { cidr: parseCidr('2002::/16'), kind: '6to4', at: (b) => [b.subarray(2, 6)] },
  // Teredo: the server's address in clear, the client's obfuscated (every bit flipped).
  { cidr: parseCidr('2001::/32'), kind: 'Teredo', at: (b) => [b.subarray(4, 8), b.subarray(12).map((x) => x ^ 0xff)] },
];

function classifyV4(b: Bytes): string | undefined {
  const hit = V4.find((r) => inCidr(b, r.cidr));
  return hit && `${hit.reason} (${hit.cidr.text})`;
}

/** Why connecting to `b` is refused by default, or undefined for a public address. */
function classify(b: Bytes): string | undefined {
  if (b.length === 4) return classifyV4(b);
  const own = V6.find((r) => inCidr(b, r.cidr));
  if (own) return `${own.reason} (${own.cidr.text})`;
  for (const e of EMBEDDINGS) {
    if (!inCidr(b, e.cidr)) continue;
    for (const v4 of e.at(b)) {
      const why = classifyV4(v4);
      if (why) return `${why}, as ${e.kind} ${formatV4(v4)}`;
    }
  }
  return undefined;
}

export class AddressPolicy {
  /** @param allow CIDRs connections are allowed to even when they are internal. */
  constructor(readonly allow: readonly Cidr[] = []) {}

  /** Why a connection to `address` is refused, or undefined when it is allowed. */
  refusal(address: string): string | undefined {
    const b = parseIp(address);
    if (!b) return `'${address}' is not an IP address`;
    const why = classify(b);
    if (why === undefined) return undefined;
    // An IPv4-mapped address is the IPv4 host itself: the allow list's IPv4 CIDRs apply.
    const mapped = b.length === 16 && inCidr(b, EMBEDDINGS[0]!.cidr) ? b.subarray(12) : undefined;
    if (this.allow.some((c) => inCidr(b, c) || (mapped !== undefined && inCidr(mapped, c)))) return undefined;
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
