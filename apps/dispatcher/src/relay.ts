// Moves webhook events from the models' outboxes into the delivery queue. Each event becomes
// one BullMQ job whose id is the event's webhook-id, and is acknowledged only once the job
// exists: an event read twice (after a crash, or taken over from a dead dispatcher) adds
// nothing the second time, and an event never acknowledged is read again.
import { isBatchId } from '@alto/batches';
import { webhookId, type WebhookEvent } from '@alto/protocol';
import type { Outbox, OutboxEvent, PredictionStore } from '@alto/queue';
import type { Logger } from '@alto/telemetry';
import { eventPayload, jitter } from '@alto/webhooks';
import type { JobsOptions, Queue } from 'bullmq';

export const WEBHOOK_QUEUE = 'webhooks';
/** The custom backoff type of delivery jobs (see deliveries.ts). */
export const BACKOFF = 'alto-webhook';
/**
 * BullMQ's own attempt limit, out of reach: deliveries.ts decides when to stop (schedule
 * exhausted, 410) and says so with an UnrecoverableError.
 */
const ATTEMPTS = 1000;

export interface DeliveryJob {
  model: string;
  predictionId: string;
  event: WebhookEvent;
  webhookId: string;
  url: string;
  /** The signed payload, the same on every attempt. */
  body: string;
  /** The prediction's W3C traceparent: delivery spans join its trace. Absent when not traced. */
  traceparent?: string;
}

export interface RelayOptions {
  /** Delay before each attempt (the first is the job's delay). */
  schedule: readonly number[];
  log: Logger;
  /** Events read per outbox at once. @default 100 */
  batch?: number;
  /** Longest wait for new events in one read. @default 1000 */
  blockMs?: number;
  /** Events another dispatcher has held this long unacknowledged are taken over. @default 30000 */
  claimIdleMs?: number;
  /**
   * The delivery of a batch job's event (its id is a batch id): URL and signed body, or
   * undefined when the batch is gone or asked for none. @default none: such events are dropped
   */
  batchEvent?: (e: OutboxEvent) => Promise<{ url: string; body: string } | undefined>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Relay {
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private loop: Promise<void> | undefined;
  /** Until this consumer's unacknowledged events (from before a restart) are relayed, relay those. */
  private backlog = true;
  private lastClaim = 0;
  private readonly batch: number;
  private readonly blockMs: number;
  private readonly claimIdleMs: number;

  constructor(
    private readonly outbox: Outbox,
    private readonly store: PredictionStore,
    private readonly queue: Queue<DeliveryJob>,
    private readonly o: RelayOptions,
  ) {
    this.batch = o.batch ?? 100;
    this.blockMs = o.blockMs ?? 1000;
    this.claimIdleMs = o.claimIdleMs ?? 30_000;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.loop = this.run();
  }

  /** Finishes the batch in hand; a blocking read in progress ends within blockMs. */
  async stop(): Promise<void> {
    if (this.state === 'running') this.state = 'stopping';
    await this.loop;
    this.state = 'stopped';
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.state === 'running') {
      try {
        await this.step();
        failures = 0;
      } catch (err) {
        if (this.state !== 'running') break;
        failures++;
        this.o.log.warn({ err: (err as Error).message }, 'relaying webhook events failed; retrying');
        await sleep(Math.min(50 * 2 ** Math.min(failures, 6), 2000));
      }
    }
  }

  /** Relays one batch: reads events, adds a job for each, acknowledges them. Returns how many. */
  async step(): Promise<number> {
    const models = await this.outbox.models();
    if (models.length === 0) {
      await sleep(this.blockMs);
      return 0;
    }
    let events: OutboxEvent[] = [];
    if (this.backlog) {
      events = await this.outbox.read(models, '0', this.batch);
      if (events.length === 0) this.backlog = false;
    }
    if (events.length === 0 && Date.now() - this.lastClaim >= this.claimIdleMs / 2) {
      this.lastClaim = Date.now();
      events = await this.outbox.claim(models, this.claimIdleMs, this.batch);
    }
    if (events.length === 0 && !this.backlog) events = await this.outbox.read(models, '>', this.batch, this.blockMs);
    await this.enqueue(events);
    await this.outbox.ack(events);
    return events.length;
  }

  /**
   * Adds the delivery job of each event (a no-op for one whose job exists), the whole batch
   * in a few round trips. Does not acknowledge them.
   */
  async enqueue(events: readonly OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    const batches = await Promise.all(
      events.map((e) => (isBatchId(e.predictionId) ? this.o.batchEvent?.(e) : undefined)),
    );
    const records = await Promise.all(
      events.map((e) => (isBatchId(e.predictionId) ? undefined : this.store.get(e.predictionId))),
    );
    const jobs = events.flatMap((e, i) => {
      const batch = batches[i];
      if (batch) {
        const id = webhookId(e.predictionId, e.event);
        const data: DeliveryJob = {
          model: e.model,
          predictionId: e.predictionId,
          event: e.event,
          webhookId: id,
          ...batch,
        };
        return [{ name: 'deliver', data, opts: jobOptions(id, this.o.schedule) }];
      }
      const record = records[i];
      if (!record?.webhook) {
        this.o.log.warn(
          { prediction_id: e.predictionId, event: e.event },
          'webhook event of a prediction past retention; dropped',
        );
        return [];
      }
      const id = webhookId(e.predictionId, e.event);
      const body = JSON.stringify(eventPayload(record, e.event, e.at, record.webhook.origin));
      const data: DeliveryJob = {
        model: e.model,
        predictionId: e.predictionId,
        event: e.event,
        webhookId: id,
        url: record.webhook.url,
        body,
        ...(record.traceparent ? { traceparent: record.traceparent } : {}),
      };
      return [{ name: 'deliver', data, opts: jobOptions(id, this.o.schedule) }];
    });
    if (jobs.length > 0) await this.queue.addBulk(jobs);
  }
}

export function jobOptions(id: string, schedule: readonly number[]): JobsOptions {
  return {
    // The same id for the same event: adding it again is a no-op while the job is kept.
    jobId: id,
    delay: jitter(schedule[0] ?? 0),
    attempts: ATTEMPTS,
    backoff: { type: BACKOFF },
    // Kept long past any re-read of its event (re-reads follow a crash within seconds or the
    // claim idle time); then dropped, payload and all.
    removeOnComplete: { age: 3600 },
    removeOnFail: { age: 86_400 },
  };
}
