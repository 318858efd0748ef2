// The webhook vocabulary shared by the gateway (what a request may ask for), the queue
// (what a prediction stores) and the dispatcher (what it delivers and records): event
// names, the stored delivery state, and how both are rendered in the prediction object.
// Delivering and signing live in @alto/webhooks; this module only names things.
import { z } from 'zod';

/** Events a request may subscribe to with `webhook_events_filter`. */
export const WEBHOOK_EVENTS = ['start', 'completed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The `type` of each event's payload. */
export const EVENT_TYPES = { start: 'prediction.started', completed: 'prediction.completed' } as const satisfies Record<
  WebhookEvent,
  string
>;
export type EventType = (typeof EVENT_TYPES)[WebhookEvent];

export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEvent[] = ['completed'];

/**
 * `pending`: the event happened, no attempt has finished yet; `retrying`: an attempt failed
 * and another is scheduled; `delivered`: a 2xx answer; `gave_up`: no attempts left, or the
 * receiver answered 410 Gone.
 */
export const DELIVERY_STATES = ['pending', 'retrying', 'delivered', 'gave_up'] as const;
export type DeliveryStateName = (typeof DELIVERY_STATES)[number];

/** One event's delivery, as stored in the prediction hash. Times are epoch ms. */
export interface DeliveryState {
  state: DeliveryStateName;
  /** Attempts that got an answer or failed (an attempt cut short by a dispatcher crash is not counted). */
  attempts: number;
  /** HTTP status of the last attempt; null when it got none (connection error, timeout, refused address). */
  last_status: number | null;
  /** Why the last attempt failed, when it did. */
  last_error: string | null;
  last_attempt_at: number | null;
  next_attempt_at: number | null;
}

/** A prediction's webhook as stored: where, which events, and each event's delivery. */
export interface WebhookRecord {
  url: string;
  events: WebhookEvent[];
  /** Public origin of the gateway that accepted it: the `urls` of the delivered prediction use it. */
  origin: string;
  deliveries: Partial<Record<WebhookEvent, DeliveryState>>;
}

/**
 * The `webhook-id` of an event: the same on every attempt to deliver it, so receivers can
 * drop duplicates. Also the dispatcher's job id, which makes relaying an event idempotent.
 */
export const webhookId = (predictionId: string, event: WebhookEvent): string => `${predictionId}.${event}`;

/** Reads a stored delivery state; tolerant of fields missing from older or partial writes. */
export function parseDeliveryState(json: string): DeliveryState {
  const v = JSON.parse(json) as Partial<DeliveryState>;
  return {
    state: DELIVERY_STATES.includes(v.state as DeliveryStateName) ? (v.state as DeliveryStateName) : 'pending',
    attempts: v.attempts ?? 0,
    last_status: v.last_status ?? null,
    last_error: v.last_error ?? null,
    last_attempt_at: v.last_attempt_at ?? null,
    next_attempt_at: v.next_attempt_at ?? null,
  };
}

// ---- request fields ----------------------------------------------------------------------

const shown = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
};

export const WebhookUrlSchema = z
  .url({
    protocol: /^https?$/,
    // Only the URL's own refusal; a non-string keeps zod's 'expected string' message.
    error: (issue) =>
      issue.code === 'invalid_format' ? `expected an http:// or https:// URL, got ${shown(issue.input)}` : undefined,
  })
  .max(2048, { error: (issue) => `expected at most 2048 characters, got ${String((issue.input as string).length)}` })
  .describe(
    'URL to POST events of this prediction to, signed the Standard Webhooks way (see docs/webhooks.md). Its host must ' +
      'not resolve to a loopback, private, link-local or other internal address unless the fleet allows it ' +
      '(ALTO_WEBHOOK_ALLOW_CIDRS); such a URL is refused with 400 webhook_refused.',
  );

export const WebhookEventsFilterSchema = z
  .array(
    z.enum(WEBHOOK_EVENTS, {
      error: (issue) => `expected one of ${WEBHOOK_EVENTS.join(', ')}, got ${shown(issue.input)}`,
    }),
  )
  .min(1, { error: `expected at least one of ${WEBHOOK_EVENTS.join(', ')}` })
  .describe(
    'Events to send: `start` (prediction.started, when a worker starts it) and `completed` (prediction.completed, ' +
      "when it is terminal: succeeded, failed, canceled or expired). Only with `webhook`. Default: ['completed'].",
  );

// ---- response ----------------------------------------------------------------------------

const timestamp = z.iso.datetime();

export const WebhookDeliverySchema = z.object({
  event: z.enum([EVENT_TYPES.start, EVENT_TYPES.completed]),
  webhook_id: z.string().describe('The `webhook-id` header of every attempt to deliver this event.'),
  state: z
    .enum(DELIVERY_STATES)
    .describe(
      '`pending` until an attempt finishes; `retrying` after a failed one; `delivered` on a 2xx; `gave_up` when no attempt ' +
        'is left or the receiver answered 410.',
    ),
  attempts: z.number().int().min(0),
  last_status: z.number().int().nullable().describe('HTTP status of the last attempt; null when it got no response.'),
  last_error: z.string().nullable().describe('Why the last attempt failed, when it did.'),
  last_attempt_at: timestamp.nullable(),
  next_attempt_at: timestamp.nullable().describe('When the next attempt is due, while retrying.'),
});

export const WebhooksSchema = z
  .object({
    url: z.string(),
    events_filter: z.array(z.enum(WEBHOOK_EVENTS)),
    deliveries: z.array(WebhookDeliverySchema).describe('One entry per event that happened and is subscribed to.'),
  })
  .nullable()
  .describe('The webhook the prediction was submitted with, and the delivery of each event; null without one.');

export type RenderedWebhooks = z.infer<typeof WebhooksSchema>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function renderWebhooks(predictionId: string, w: WebhookRecord | null | undefined): RenderedWebhooks {
  if (!w) return null;
  const deliveries = WEBHOOK_EVENTS.flatMap((event) => {
    const d = w.deliveries[event];
    if (!d) return [];
    return [
      {
        event: EVENT_TYPES[event],
        webhook_id: webhookId(predictionId, event),
        state: d.state,
        attempts: d.attempts,
        last_status: d.last_status,
        last_error: d.last_error,
        last_attempt_at: iso(d.last_attempt_at),
        next_attempt_at: iso(d.next_attempt_at),
      },
    ];
  });
  return { url: w.url, events_filter: [...w.events], deliveries };
}
