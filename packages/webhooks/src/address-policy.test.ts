import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AddressPolicy, parseAllowList, parseCidr, parseIp } from './address-policy.ts';

const policy = new AddressPolicy();

/** What reaches the guard for a URL: its host as the WHATWG URL parser normalises it. */
const hostOf = (url: string) => new URL(url).hostname.replace(/^\[|\]$/g, '');

describe('address policy', () => {
  it.each([
    ['127.0.0.1', /loopback/],
    ['127.255.255.254', /loopback/],
    ['10.1.2.3', /private \(10\.0\.0\.0\/8\)/],
    ['172.16.0.1', /private \(172\.16\.0\.0\/12\)/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private \(192\.168\.0\.0\/16\)/],
    ['169.254.1.1', /link-local/],
    ['169.254.169.254', /cloud metadata/],
    ['100.100.100.200', /cloud metadata/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.127.255.255', /carrier-grade NAT/],
    ['0.0.0.0', /unspecified/],
    ['0.1.2.3', /unspecified/],
    ['255.255.255.255', /broadcast/],
    ['224.0.0.1', /multicast/],
    ['239.255.255.250', /multicast/],
    ['240.0.0.1', /reserved/],
    ['192.0.2.10', /documentation/],
    ['198.18.0.1', /benchmarking/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fc00::1', /private \(unique local\)/],
    ['fd12:3456::1', /private/],
    ['fd00:ec2::254', /cloud metadata/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['febf:ffff::1', /link-local/],
    ['ff02::1', /multicast/],
    ['2001:db8::1', /documentation/],
    // IPv4 embedded in IPv6: judged by the IPv4 address inside.
    ['::ffff:127.0.0.1', /loopback \(127\.0\.0\.0\/8\), as IPv4-mapped 127\.0\.0\.1/],
    ['::ffff:7f00:1', /loopback.*IPv4-mapped 127\.0\.0\.1/],
    ['::ffff:a9fe:a9fe', /cloud metadata.*IPv4-mapped 169\.254\.169\.254/],
    ['0:0:0:0:0:ffff:10.0.0.1', /private.*IPv4-mapped 10\.0\.0\.1/],
    ['::ffff:0:192.168.0.1', /private.*IPv4-translated/],
    ['::127.0.0.1', /loopback.*IPv4-compatible/],
    ['64:ff9b::127.0.0.1', /loopback.*NAT64/],
    ['64:ff9b::a00:1', /private.*NAT64 10\.0\.0\.1/],
    ['64:ff9b:1::1', /NAT64 local-use/],
    ['2002:7f00:1::', /loopback.*6to4 127\.0\.0\.1/],
    ['2002:c0a8:101::1', /private.*6to4 192\.168\.1\.1/],
    // Teredo: the client's IPv4 is stored with every bit flipped.
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', /loopback.*Teredo 127\.0\.0\.1/],
    ['2001:0:7f00:1::', /loopback.*Teredo 127\.0\.0\.1/],
    ['2001:0:a9fe:a9fe::', /cloud metadata.*Teredo 169\.254\.169\.254/],
    // The same hosts in other spellings.
    ['0000:0000:0000:0000:0000:0000:0000:0001', /loopback \(::1\/128\)/],
    ['[::1]', /loopback/],
    ['::FFFF:7F00:1', /loopback.*IPv4-mapped 127\.0\.0\.1/],
    ['::ffff:169.254.169.254', /cloud metadata.*IPv4-mapped 169\.254\.169\.254/],
    ['::ffff:0.0.0.0', /unspecified.*IPv4-mapped 0\.0\.0\.0/],
    ['::10.0.0.1', /private.*IPv4-compatible 10\.0\.0\.1/],
    ['64:ff9b::169.254.169.254', /cloud metadata.*NAT64/],
    ['FE80::1', /link-local/],
    // Range edges.
    ['100.64.0.0', /carrier-grade NAT/],
    ['172.31.0.0', /private/],
    ['198.19.255.255', /benchmarking/],
  ])('refuses %s', (address, reason) => {
    expect(policy.refusal(address)).toMatch(reason);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '100.63.255.255',
    '172.15.255.255',
    '192.169.0.1',
    '198.20.0.1',
    '223.255.255.255',
    '2001:4860:4860::8888',
    '::ffff:1.1.1.1',
  ])('allows the public address %s', (address) => {
    expect(policy.refusal(address)).toBeUndefined();
  });

  it('refuses what is not an address at all', () => {
    expect(policy.refusal('localhost')).toMatch(/not an IP address/);
    expect(policy.refusal('127.1')).toMatch(/not an IP address/);
    expect(policy.refusal('')).toMatch(/not an IP address/);
    // Forms a lenient parser reads as 127.0.0.1 or ::1, and malformed ones.
    for (const text of [
      '0x7f.0.0.1',
      '0177.0.0.1',
      '2130706433',
      '01.2.3.4',
      '1.2.3.4.5',
      '::ffff:1.2.3',
      '::ffff:01.2.3.4',
      '1::2::3',
      ':::1',
      '[::1',
      '127.0.0.1/32',
    ]) {
      expect(policy.refusal(text), text).toMatch(/not an IP address/);
    }
  });

  it.each([
    // Decimal, hex, octal and short IPv4 forms never reach the guard as such: the URL parser
    // turns them into dotted quads first, and the guard refuses those.
    ['http://2130706433/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://0x7f.0.0.1/', '127.0.0.1'],
    ['http://017700000001/', '127.0.0.1'],
    ['http://0177.0.0.01/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://0/', '0.0.0.0'],
    ['http://3232235777/', '192.168.1.1'],
    ['http://0xa9fea9fe/', '169.254.169.254'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1'],
    ['http://[0:0:0:0:0:ffff:169.254.169.254]:80/', '::ffff:a9fe:a9fe'],
    ['http://[::1]:8080/', '::1'],
    ['http://[fd00:ec2::254]/', 'fd00:ec2::254'],
  ])('%s reaches the guard as %s and is refused', (url, host) => {
    expect(hostOf(url)).toBe(host);
    expect(policy.refusal(hostOf(url))).toBeDefined();
  });

  it('allows internal addresses on the allow list, and IPv4-mapped forms of them', () => {
    const allow = new AddressPolicy(parseAllowList('127.0.0.1/32, 10.1.0.0/16 fd00::/8'));
    expect(allow.refusal('127.0.0.1')).toBeUndefined();
    expect(allow.refusal('::ffff:127.0.0.1')).toBeUndefined();
    expect(allow.refusal('10.1.200.3')).toBeUndefined();
    expect(allow.refusal('fd00::5')).toBeUndefined();
    // Only what is listed.
    expect(allow.refusal('127.0.0.2')).toMatch(/loopback/);
    expect(allow.refusal('10.2.0.1')).toMatch(/private/);
    expect(allow.refusal('::1')).toMatch(/loopback/);
    expect(allow.refusal('169.254.169.254')).toMatch(/cloud metadata/);
    // A NAT64 form is another host (the translator), not the listed one.
    expect(allow.refusal('64:ff9b::7f00:1')).toMatch(/NAT64/);
    // So is an IPv4-compatible one, however it is spelled.
    expect(allow.refusal('::127.0.0.1')).toMatch(/IPv4-compatible/);
    expect(allow.refusal('::7f00:1')).toMatch(/IPv4-compatible/);
  });

  it('matches allow-list CIDRs as node:net BlockList does, including prefixes off byte boundaries and host bits set', () => {
    // An independent implementation of prefix matching; addresses inside 10.0.0.0/8 and
    // fc00::/7, which are refused unless allowed, so `refusal` shows the allow list's answer.
    let seed = 11;
    const seen = { in: 0, out: 0 };
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const v4 = () => `10.${rand(256)}.${rand(256)}.${rand(256)}`;
    const v6 = () =>
      `fd${rand(256).toString(16).padStart(2, '0')}:${Array.from({ length: 7 }, () => rand(0x10000).toString(16)).join(':')}`;
    for (let i = 0; i < 400; i++) {
      const [family, gen, max] = i % 2 === 0 ? (['ipv4', v4, 32] as const) : (['ipv6', v6, 128] as const);
      const net = gen();
      const prefix = 8 + rand(max - 7);
      // Half the probes share the network's leading bits, so both answers occur.
      const probe =
        rand(2) === 0
          ? gen()
          : net.slice(0, net.length - 1 - rand(3)) + (family === 'ipv4' ? String(rand(10)) : rand(16).toString(16));
      const valid =
        family === 'ipv4'
          ? /^10(\.\d{1,3}){3}$/.test(probe) &&
            probe.split('.').every((o) => Number(o) < 256 && String(Number(o)) === o)
          : probe.split(':').length === 8;
      if (!valid) continue;
      const list = new BlockList();
      list.addSubnet(net, prefix, family);
      const allowed = new AddressPolicy(parseAllowList(`${net}/${prefix}`)).refusal(probe) === undefined;
      expect(allowed, `${probe} in ${net}/${prefix}`).toBe(list.check(probe, family));
      seen[allowed ? 'in' : 'out']++;
    }
    expect(seen.in).toBeGreaterThan(50);
    expect(seen.out).toBeGreaterThan(50);
  });

  it('parses CIDRs and refuses malformed ones with a message', () => {
    expect(parseCidr('10.0.0.0/8').prefix).toBe(8);
    expect(parseCidr('::1').prefix).toBe(128);
    expect(parseCidr('192.168.1.7').prefix).toBe(32);
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/prefix length must be 0\.\.32/);
    expect(() => parseCidr('fd00::/129')).toThrow(/0\.\.128/);
    expect(() => parseCidr('10.0.0/8')).toThrow(/not an IP address or CIDR/);
    expect(() => parseCidr('example.com/8')).toThrow(/not an IP address or CIDR/);
    expect(() => parseCidr('10.0.0.0/8/1')).toThrow(/not an IP address or CIDR/);
    expect(() => parseCidr('10.0.0.0/x')).toThrow(/prefix length/);
    expect(parseAllowList('')).toEqual([]);
  });

  it('parses IPv6 with embedded IPv4 and zones into bytes', () => {
    expect([...parseIp('::ffff:1.2.3.4')!]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
    expect([...parseIp('[fe80::1%lo]')!].slice(0, 2)).toEqual([0xfe, 0x80]);
    expect(parseIp('1.2.3')).toBeUndefined();
    // IPv4-compatible, not IPv4-mapped: no 0xffff.
    expect([...parseIp('::1.2.3.4')!]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    expect([...parseIp('64:ff9b::10.0.0.1')!].slice(12)).toEqual([10, 0, 0, 1]);
  });
});
