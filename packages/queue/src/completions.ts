// Completion notices for gateways holding `Prefer: wait` requests: ONE pub/sub
// subscription per process and an in-memory map of watchers, instead of a blocking Redis
// connection per waiting request. Register a watch BEFORE enqueueing so a completion
// published in between is not missed; after a reconnect every watcher is told to re-check,
// since notices published while disconnected are gone. A notice may carry the finished
// record itself (notice.ts), sparing the waiting request a read.
import { modelOfPrediction, type PredictionRecord } from '@alto/protocol';
import type { Redis } from 'ioredis';
import { parseNotice } from './notice.ts';
import { parseRecord } from './predictions.ts';

export type Signal = 'done' | 'recheck' | 'timeout';

export interface Watch {
  /** Resolves at the next notice for this id, a reconnect, or after `timeoutMs`. */
  next(timeoutMs: number): Promise<Signal>;
  /** The record the last 'done' notice carried; undefined when it carried none. */
  carried(): PredictionRecord | undefined;
  dispose(): void;
}

interface Watcher {
  pending: Signal | undefined;
  wake: ((s: Signal) => void) | undefined;
  record: PredictionRecord | undefined;
}

export class CompletionHub {
  private readonly watchers = new Map<string, Set<Watcher>>();
  private started = false;

  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
      const notice = parseNotice(message);
      const model = notice.fields && modelOfPrediction(notice.id);
      const record = model ? parseRecord(notice.id, model, notice.fields!) : undefined;
      this.signal(notice.id, 'done', record);
    });
    // 'ready' also fires after each reconnect (ioredis resubscribes before it).
    this.subscriber.on('ready', () => {
      if (this.started) for (const id of this.watchers.keys()) this.signal(id, 'recheck');
    });
    await this.subscriber.subscribe(this.channel);
    this.started = true;
  }

  get size(): number {
    return this.watchers.size;
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
