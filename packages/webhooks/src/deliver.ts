// One delivery attempt: a signed POST over agents whose `lookup` enforces the address policy.
// Redirects are never followed (a 3xx is a failure), at most `maxResponseBytes` of the answer
// are read, and the whole exchange is bounded by `timeoutMs`.
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { AddressPolicy } from './address-policy.ts';
import { AddressRefusedError, guardedLookup, systemResolver, type Resolver } from './guarded-lookup.ts';
import { parseRetryAfter, type AttemptResult } from './schedule.ts';
import { sign } from './signature.ts';

export interface DelivererOptions {
  /** Signing keys (parseSecrets). */
  keys: readonly Buffer[];
  policy: AddressPolicy;
  /** Bound on one attempt, from connecting to reading the answer. @default 10000 */
  timeoutMs?: number;
  /** Most bytes of an answer read. @default 4096 */
  maxResponseBytes?: number;
  resolve?: Resolver;
}

export interface Delivery {
  url: string;
  webhookId: string;
  /** The JSON payload, signed as sent. */
  body: string;
}

const USER_AGENT = 'Alto-Webhooks/1';

const oneLine = (s: string, max = 200) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
};

export class Deliverer {
  private readonly agents: { http: http.Agent; https: https.Agent };
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;

  constructor(private readonly o: DelivererOptions) {
    const lookup = guardedLookup(o.policy, o.resolve ?? systemResolver);
    // No keep-alive: every attempt connects anew, so every connection goes through lookup.
    this.agents = {
      http: new http.Agent({ lookup, keepAlive: false }),
      https: new https.Agent({ lookup, keepAlive: false }),
    };
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.maxResponseBytes = o.maxResponseBytes ?? 4096;
  }

  /** Makes one attempt; never throws: a failure is in the result. */
  async deliver(d: Delivery, now = Date.now()): Promise<AttemptResult> {
    const url = new URL(d.url);
    const secure = url.protocol === 'https:';
    // An address literal never reaches `lookup` (net connects to it directly): judged here.
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0) {
      const why = this.o.policy.refusal(host);
      if (why !== undefined) return { status: null, error: `refused: ${why}`, retryAfterMs: null };
    }
    const timestamp = Math.floor(now / 1000);
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(d.body)),
      'user-agent': USER_AGENT,
      'webhook-id': d.webhookId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': sign(this.o.keys, d.webhookId, timestamp, d.body),
    };
    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      const settle = (r: AttemptResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        resolve(r);
      };
      const req = (secure ? https : http).request(url, {
        method: 'POST',
        headers,
        agent: secure ? this.agents.https : this.agents.http,
      });
      let response:
        | { status: number; retryAfterMs: number | null; location: string | undefined; body: Buffer[]; size: number }
        | undefined;
      const answered = () => {
        const r = response!;
        const status = r.status;
        const text = oneLine(Buffer.concat(r.body).toString('utf8'));
        let error: string | null = null;
        if (status >= 300 && status < 400)
          error = `HTTP ${status}: redirect not followed${r.location ? ` (Location: ${oneLine(r.location)})` : ''}`;
        else if (status < 200 || status >= 300) error = `HTTP ${status}${text ? `: ${text}` : ''}`;
        settle({ status, error, retryAfterMs: r.retryAfterMs });
      };
      const timer = setTimeout(() => {
        // An answer whose status arrived counts even if its body is slow.
        if (response) answered();
        else settle({ status: null, error: `no answer within ${this.timeoutMs} ms`, retryAfterMs: null });
      }, this.timeoutMs);
      req.on('socket', (socket) => {
        // Belt and braces: whatever path led here, the address connected to must be allowed.
        socket.once('connect', () => {
          const why =
            socket.remoteAddress === undefined ? 'no remote address' : this.o.policy.refusal(socket.remoteAddress);
          if (why !== undefined) req.destroy(new AddressRefusedError(why));
        });
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const retryAfter = status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after']) : null;
        response = { status, retryAfterMs: retryAfter, location: res.headers.location, body: [], size: 0 };
        res.on('data', (chunk: Buffer) => {
          const r = response!;
          const room = this.maxResponseBytes - r.size;
          if (room > 0) r.body.push(chunk.subarray(0, room));
          r.size += chunk.length;
          if (r.size >= this.maxResponseBytes) answered();
        });
        res.on('end', answered);
        res.on('error', answered);
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (response) return answered();
        const error =
          err instanceof AddressRefusedError
            ? `refused: ${err.message}`
            : err.code
              ? `${err.code}: ${err.message}`
              : err.message;
        settle({ status: null, error: oneLine(error, 300), retryAfterMs: null });
      });
      req.end(d.body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
