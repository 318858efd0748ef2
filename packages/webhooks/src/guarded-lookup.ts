// Applies the address policy where it counts: to the addresses a socket is about to connect
// to. `guardedLookup` is the `lookup` of the delivery agents, so a host that resolved to a
// public address when the webhook was submitted and to an internal one now (DNS rebinding)
// is refused at connect time. `checkWebhookHost` is the same judgement at submit time.
import { promises as dns, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { AddressPolicy } from './address-policy.ts';

/** Resolves a host name to all its addresses (dns.lookup's answer: hosts file, then DNS). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/** A connection the policy refuses; its message says which address and why. */
export class AddressRefusedError extends Error {
  readonly code = 'ERR_ADDRESS_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'AddressRefusedError';
  }
}

const bare = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/** The addresses of `host` the policy allows; throws AddressRefusedError when there are none. */
export async function allowedAddresses(
  host: string,
  policy: AddressPolicy,
  resolve: Resolver = systemResolver,
): Promise<LookupAddress[]> {
  const h = bare(host);
  const family = isIP(h);
  const all = family !== 0 ? [{ address: h, family }] : await resolve(h);
  const allowed: LookupAddress[] = [];
  const refused: string[] = [];
  for (const a of all) {
    const why = policy.refusal(a.address);
    if (why === undefined) allowed.push(a);
    else refused.push(why);
  }
  if (allowed.length === 0) {
    const what = family !== 0 ? 'address' : `host '${h}' resolves only to refused addresses:`;
    throw new AddressRefusedError(`${what} ${refused.join('; ') || 'none'}`);
  }
  return allowed;
}

/** A net/http `lookup` that hands the socket only the addresses the policy allows. */
export function guardedLookup(policy: AddressPolicy, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    allowedAddresses(hostname, policy, resolve).then(
      (allowed) => {
        const family =
          options.family === 4 || options.family === 'IPv4'
            ? 4
            : options.family === 6 || options.family === 'IPv6'
              ? 6
              : 0;
        const fit = family === 0 ? allowed : allowed.filter((a) => a.family === family);
        if (fit.length === 0) {
          callback(new AddressRefusedError(`host '${hostname}' has no allowed IPv${family} address`), '', 0);
        } else if (options.all) callback(null, fit);
        else callback(null, fit[0]!.address, fit[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

export interface HostCheckOptions {
  resolve?: Resolver;
  /** How long resolving may take. @default 3000 */
  timeoutMs?: number;
}

/**
 * Why webhooks to `url` would be refused — its host does not resolve, or only to refused
 * addresses — or undefined when some address of it is allowed.
 */
export async function checkWebhookHost(
  url: URL,
  policy: AddressPolicy,
  options: HostCheckOptions = {},
): Promise<string | undefined> {
  const timeoutMs = options.timeoutMs ?? 3000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`host '${bare(url.hostname)}' did not resolve within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([allowedAddresses(url.hostname, policy, options.resolve), timeout]);
    return undefined;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e instanceof AddressRefusedError) return e.message;
    if (e.code !== undefined) return `host '${bare(url.hostname)}' does not resolve (${e.code})`;
    return e.message;
  } finally {
    clearTimeout(timer);
  }
}
