// Completion notices for gateways holding `Prefer: wait` requests: one subscriber connection
// per process and an in-memory map of watchers, instead of a blocking Redis connection per
// waiting request. Each gateway hears only its own notices: a shard channel per gateway and
// model (keys.notices), subscribed once per model before the first request that waits on it,
// and named in the request so the script that ends the prediction publishes there
// (lua/lib/notify.lua). Register a watch BEFORE enqueueing so a completion published in
// between is not missed; after a reconnect every watcher is told to re-check, since notices
// published while disconnected are gone. A notice may carry the finished record (notice.ts).
import { AltoError, modelOfPrediction, type PredictionRecord } from '@alto/protocol';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import { parseNotice } from './notice.ts';
import { parseRecord } from './predictions.ts';

export type Signal = 'done' | 'recheck' | 'timeout';

/** Where a notice came from: this gateway's own channels, or the shared one of earlier versions. */
export type NoticeChannel = 'own' | 'shared';

export interface Watch {
  /** Resolves at the next notice for this id, a reconnect, or after `timeoutMs`. */
  next(timeoutMs: number): Promise<Signal>;
  /** The record the last 'done' notice carried; undefined when it carried none. */
  carried(): PredictionRecord | undefined;
  dispose(): void;
}

export interface CompletionHubOptions {
  keys: Keys;
  /** This gateway's name in its channels: unique among the gateways sharing one Redis. */
  gateway: string;
  /** Called for each notice received (for metrics). */
  onNotice?: (channel: NoticeChannel) => void;
  /**
   * Longest a request waits for its model's channel to be subscribed (only the first request
   * of a model waits at all) before it is refused as `redis_unavailable`. @default 5000
   */
  subscribeTimeoutMs?: number;
}

interface Watcher {
  pending: Signal | undefined;
  wake: ((s: Signal) => void) | undefined;
  record: PredictionRecord | undefined;
}

export class CompletionHub {
  private readonly watchers = new Map<string, Set<Watcher>>();
  /** Model → its channel's subscription, made or under way. */
  private readonly channels = new Map<string, Promise<string>>();
  /** Model → its channel, once SSUBSCRIBE has answered. */
  private readonly subscribed = new Map<string, string>();
  private started = false;

  constructor(
    private readonly subscriber: Redis,
    private readonly options: CompletionHubOptions,
  ) {}

  async start(): Promise<void> {
    const onMessage = (channel: NoticeChannel) => (_channel: Buffer, message: Buffer) => {
      this.options.onNotice?.(channel);
      const notice = parseNotice(message);
      const model = notice.fields && modelOfPrediction(notice.id);
      const record = model ? parseRecord(notice.id, model, notice.fields!) : undefined;
      this.signal(notice.id, 'done', record);
    };
    this.subscriber.on('smessageBuffer', onMessage('own'));
    this.subscriber.on('messageBuffer', onMessage('shared'));
    // 'ready' also fires after each reconnect (ioredis resubscribes before it); in cluster
    // mode each master's shard subscriber reconnects on its own, and the client says
    // 'subscribersReady' once it has resubscribed them.
    const recheck = () => {
      if (this.started) for (const id of this.watchers.keys()) this.signal(id, 'recheck');
    };
    this.subscriber.on('ready', recheck);
    this.subscriber.on('subscribersReady', recheck);
    await this.subscriber.subscribe(this.options.keys.completions);
    this.started = true;
  }

  get size(): number {
    return this.watchers.size;
  }

  /** This gateway's channel for `model`'s predictions (what the enqueue names). */
  channel(model: string): string {
    return this.options.keys.notices(model, this.options.gateway);
  }

  /**
   * Subscribes to this gateway's channel for `model` (once; later calls find it done) and
   * returns it. Call before enqueueing a request that waits, and name the channel in it.
   */
  listen(model: string): Promise<string> {
    // The common case, on every waiting request: subscribed long ago.
    const done = this.subscribed.get(model);
    if (done !== undefined) return Promise.resolve(done);
    let subscribed = this.channels.get(model);
    if (subscribed === undefined) {
      const channel = this.channel(model);
      subscribed = this.subscriber.ssubscribe(channel).then(() => {
        this.subscribed.set(model, channel);
        return channel;
      });
      this.channels.set(model, subscribed);
      // A failed subscription is tried again by the next request.
      subscribed.catch(() => this.channels.delete(model));
    }
    const timeoutMs = this.options.subscribeTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AltoError(
              'redis_unavailable',
              `Redis did not confirm the subscription to this gateway's completion notices within ${timeoutMs} ms`,
              true,
            ),
          ),
        timeoutMs,
      );
    });
    return Promise.race([subscribed, late]).finally(() => clearTimeout(timer));
  }

  watch(id: string): Watch {
    const w: Watcher = { pending: undefined, wake: undefined, record: undefined };
    let set = this.watchers.get(id);
    if (!set) this.watchers.set(id, (set = new Set()));
    set.add(w);
    return {
      next: (timeoutMs) => {
        if (w.pending) {
          const s = w.pending;
          w.pending = undefined;
          return Promise.resolve(s);
        }
        return new Promise<Signal>((resolve) => {
          const timer = setTimeout(
            () => {
              w.wake = undefined;
              resolve('timeout');
            },
            Math.max(0, timeoutMs),
          );
          w.wake = (s) => {
            clearTimeout(timer);
            w.wake = undefined;
            resolve(s);
          };
        });
      },
      carried: () => w.record,
      dispose: () => {
        set.delete(w);
        if (set.size === 0) this.watchers.delete(id);
      },
    };
  }

  private signal(id: string, s: Signal, record?: PredictionRecord): void {
    for (const w of this.watchers.get(id) ?? []) {
      if (s === 'done') w.record = record;
      if (w.wake) w.wake(s);
      else if (w.pending !== 'done') w.pending = s;
    }
  }

  async stop(): Promise<void> {
    for (const id of [...this.watchers.keys()]) this.signal(id, 'timeout');
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }
}
