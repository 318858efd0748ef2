// Load generator, run as its own process so it does not share a thread with what it
// measures. Closed loop: `concurrency` clients each send, await the answer, send again.
// Open loop: requests start at a fixed rate whatever the answers; latency counts from the
// scheduled start, so a stall is not hidden (no coordinated omission).
// Prints one JSON line: { requests, errors, seconds, throughput, p50, p90, p99, drainSeconds, sent, ok }.
// drainSeconds: from the end of warm-up to the last measured answer (longer than `seconds`
// when the system fell behind); sent / ok count warm-up requests too.
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';

export interface LoadSpec {
  url: string;
  /** Path of a file holding the request body. */
  bodyFile: string;
  /** 'wait' (Prefer: wait), 'poll' (202 then GET until terminal) or 'plain' (one POST). */
  mode: 'wait' | 'poll' | 'plain';
  concurrency: number;
  /** Requests per second for an open loop; 0 = closed loop. */
  rate: number;
  warmupSeconds: number;
  seconds: number;
  /** Paths on the same server to spread requests over, in turn (many models). @default the url's */
  paths?: string[];
  /** Extra request headers, e.g. the content type of a binary body. */
  headers?: Record<string, string>;
}

const spec = JSON.parse(process.argv[2]!) as LoadSpec;
const body = readFileSync(spec.bodyFile);
// An open loop must never queue in the client: capped sockets would hold requests back and
// starve the server (Little's law: rate × latency requests are in flight).
const agent = new Agent({ keepAlive: true, maxSockets: spec.rate > 0 ? Infinity : Math.max(spec.concurrency, 64) });
const target = new URL(spec.url);
const paths = spec.paths ?? [target.pathname];
let nextPath = 0;

function send(
  method: string,
  path: string,
  payload?: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path,
        method,
        agent,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': payload.length, ...spec.headers, ...headers }
          : headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function one(): Promise<boolean> {
  sentCount++;
  const answered = await oneRequest();
  if (answered) okCount++;
  return answered;
}

async function oneRequest(): Promise<boolean> {
  const path = paths[nextPath++ % paths.length]!;
  if (spec.mode === 'wait') {
    const r = await send('POST', path, body, { prefer: 'wait=60' });
    return r.status === 200 && r.body.includes('"status":"succeeded"');
  }
  const r = await send('POST', path, body);
  if (spec.mode === 'plain') return r.status >= 200 && r.status < 300;
  if (r.status !== 202) return false;
  const id = (JSON.parse(r.body) as { id: string }).id;
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    await new Promise((res) => setTimeout(res, delay));
    const g = await send('GET', `/v1/predictions/${id}`);
    if (g.body.includes('"status":"succeeded"')) return true;
    if (/"status":"(failed|canceled|expired)"/.test(g.body)) return false;
  }
}

const latencies: number[] = [];
let errors = 0;
let sentCount = 0;
let okCount = 0;
let lastAnswer = 0;
const now = () => performance.now();
const warmEnd = now() + spec.warmupSeconds * 1000;
const end = warmEnd + spec.seconds * 1000;

async function closedLoop(): Promise<void> {
  await Promise.all(
    Array.from({ length: spec.concurrency }, async () => {
      while (now() < end) {
        const t0 = now();
        const ok = await one().catch(() => false);
        if (t0 >= warmEnd) {
          if (ok) latencies.push(now() - t0);
          else errors++;
        }
      }
    }),
  );
}

async function openLoop(): Promise<void> {
  const interval = 1000 / spec.rate;
  const inflight: Promise<void>[] = [];
  for (let i = 0, start = now(); ; i++) {
    const scheduled = start + i * interval;
    if (scheduled >= end) break;
    const wait = scheduled - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      one().then(
        (ok) => {
          if (scheduled < warmEnd) return;
          lastAnswer = now();
          if (ok) latencies.push(now() - scheduled);
          else errors++;
        },
        () => {
          if (scheduled >= warmEnd) errors++;
        },
      ),
    );
  }
  await Promise.all(inflight);
}

await (spec.rate > 0 ? openLoop() : closedLoop());
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
const round = (x: number) => Math.round(x * 1000) / 1000;
process.stdout.write(
  JSON.stringify({
    requests: latencies.length,
    errors,
    seconds: spec.seconds,
    throughput: round(latencies.length / spec.seconds),
    p50: round(pct(50)),
    p90: round(pct(90)),
    p99: round(pct(99)),
    drainSeconds: round(lastAnswer > 0 ? (lastAnswer - warmEnd) / 1000 : spec.seconds),
    sent: sentCount,
    ok: okCount,
  }) + '\n',
);
agent.destroy();
