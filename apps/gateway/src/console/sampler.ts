// Samples every served model every few seconds for the console's charts, into a ring kept in
// this gateway process (15 minutes). Arrivals and completions are fleet-wide, from counters
// Redis already keeps on each stream (XINFO: entries-added, and the worker group's
// entries-read less its pending entries); latency and errors come from the predictions this
// gateway accepted, read back once they end. Nothing is written to Redis.
import { PRIORITIES, TERMINAL, type Priority, type Status } from '@alto/protocol';
import { GROUP, PREDICTION, modelStreams, type Keys, type ModelRegistry } from '@alto/queue';
import type { Redis } from 'ioredis';
import type { Accepted } from './series.ts';
import { Ring, quantile, rate, type Sample } from './series.ts';

export interface SamplerDeps {
  redis: Redis;
  keys: Keys;
  models: ModelRegistry;
  accepted: Accepted;
  /** @default 5000 */
  intervalMs?: number;
  /** @default 15 minutes */
  windowMs?: number;
}

/** Reads XINFO's flat [name, value, ...] reply into a map. */
const fields = (reply: unknown): Map<string, unknown> => {
  const out = new Map<string, unknown>();
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out.set(String(reply[i]), reply[i + 1]);
  return out;
};

interface Counters {
  added: number;
  done: number;
  depth: Record<Priority, number>;
  replicas: number;
}

export class Sampler {
  private readonly rings = new Map<string, Ring<Sample>>();
  private readonly last = new Map<string, { t: number; c: Counters }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  readonly intervalMs: number;

  constructor(private readonly d: SamplerDeps) {
    this.intervalMs = d.intervalMs ?? 5000;
  }

  start(): void {
    if (this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The samples of each model, oldest first. */
  series(): Record<string, Sample[]> {
    const out: Record<string, Sample[]> = {};
    for (const [model, ring] of this.rings) out[model] = ring.list();
    return out;
  }

  /** One round; a round still running is not overlapped. Redis being down skips the round. */
  tick(): Promise<void> {
    this.running ??= this.round()
      .catch(() => {})
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async counters(model: string): Promise<Counters> {
    const { keys, redis } = this.d;
    const streams = modelStreams(keys, model);
    const pipe = redis.pipeline();
    for (const s of streams.all) pipe.xlen(s).xinfo('STREAM', s).xinfo('GROUPS', s);
    pipe.zcount(keys.replicas(model), Date.now(), '+inf');
    const replies = (await pipe.exec()) ?? [];
    const c: Counters = { added: 0, done: 0, depth: { high: 0, normal: 0, low: 0 }, replicas: 0 };
    PRIORITIES.forEach((p, i) => {
      const [len, stream, groups] = replies.slice(i * 3, i * 3 + 3);
      // A stream not made yet answers XINFO with an error: it counts as empty.
      c.depth[p] = len && !len[0] ? Number(len[1]) : 0;
      if (stream && !stream[0]) c.added += Number(fields(stream[1]).get('entries-added') ?? 0);
      if (groups && !groups[0] && Array.isArray(groups[1])) {
        for (const g of groups[1] as unknown[]) {
          const f = fields(g);
          if (f.get('name') !== GROUP) continue;
          c.done += Math.max(0, Number(f.get('entries-read') ?? 0) - Number(f.get('pending') ?? 0));
        }
      }
    });
    const replicas = replies[PRIORITIES.length * 3];
    c.replicas = replicas && !replicas[0] ? Number(replicas[1]) : 0;
    return c;
  }

  /**
   * Reads back this gateway's unfinished predictions of `model` (three fields each, in one
   * pipeline: a model's keys share its hash tag): the ones that ended give errors and latencies.
   */
  private async ended(model: string): Promise<{ errors: number; latencies: number[] }> {
    const { accepted, keys, redis } = this.d;
    const ids = accepted.unfinished(model).slice(0, 1000);
    const pipe = redis.pipeline();
    for (const id of ids) {
      pipe.hmget(keys.prediction(model, id), PREDICTION.status, PREDICTION.createdAt, PREDICTION.completedAt);
    }
    const replies = ids.length ? ((await pipe.exec()) ?? []) : [];
    let errors = 0;
    const latencies: number[] = [];
    replies.forEach(([err, value], i) => {
      if (err) return;
      const [status, created, completed] = value as (string | null)[];
      // Gone (expired past retention) or ended: no longer followed.
      if (status === null || status === undefined) return accepted.finished(model, ids[i]!);
      if (!TERMINAL.has(status as Status)) return;
      accepted.finished(model, ids[i]!);
      if (status === 'failed' || status === 'expired') errors++;
      if (status === 'succeeded' && completed && created) latencies.push(Number(completed) - Number(created));
    });
    return { errors, latencies };
  }

  private async round(): Promise<void> {
    const windowMs = this.d.windowMs ?? 15 * 60_000;
    const capacity = Math.ceil(windowMs / this.intervalMs) + 1;
    const models = (await this.d.models.list()).map((m) => m.name);
    await Promise.all(
      models.map(async (model) => {
        const t = Date.now();
        const [c, e] = await Promise.all([this.counters(model), this.ended(model)]);
        const prev = this.last.get(model);
        this.last.set(model, { t, c });
        const seconds = prev ? (t - prev.t) / 1000 : 0;
        let ring = this.rings.get(model);
        if (!ring) this.rings.set(model, (ring = new Ring<Sample>(capacity)));
        ring.push({
          t,
          arrivals: rate(prev?.c.added, c.added, seconds),
          completions: rate(prev?.c.done, c.done, seconds),
          errors: e.errors,
          p50: quantile(e.latencies, 0.5),
          p99: quantile(e.latencies, 0.99),
          depth: c.depth,
          replicas: c.replicas,
        });
      }),
    );
    for (const name of [...this.rings.keys()]) {
      if (!models.includes(name)) {
        this.rings.delete(name);
        this.last.delete(name);
      }
    }
  }
}
