// How a prediction's webhook sits in its hash: `webhook` holds {"url", "events", "origin"}
// as JSON (the Lua scripts read `events` to decide whether to append an event to the
// outbox), and `webhook_<event>` each event's delivery state once the event happened.
import { WEBHOOK_EVENTS, parseDeliveryState, type WebhookEvent, type WebhookRecord } from '@alto/protocol';
import { PREDICTION, webhookStateField } from './fields.ts';

/** What a new prediction asks for: where to POST, which events, and the origin its URLs use. */
export interface NewWebhook {
  url: string;
  events: readonly WebhookEvent[];
  origin: string;
}

export const encodeWebhook = (w: NewWebhook): string =>
  JSON.stringify({ url: w.url, events: [...new Set(w.events)], origin: w.origin });

/** The record of a webhook just stored: no event has happened yet. */
export const newWebhookRecord = (w: NewWebhook): WebhookRecord => ({
  url: w.url,
  events: [...new Set(w.events)],
  origin: w.origin,
  deliveries: {},
});

/** The webhook of a prediction hash, or undefined without one. */
export function parseWebhook(h: Record<string, Buffer>): WebhookRecord | undefined {
  const raw = h[PREDICTION.webhook]?.toString();
  if (raw === undefined) return undefined;
  // Written by enqueue and the dispatcher only; a field that does not parse is shown as no
  // webhook rather than failing every read of the prediction.
  try {
    const w = JSON.parse(raw) as Omit<WebhookRecord, 'deliveries'>;
    const deliveries: WebhookRecord['deliveries'] = {};
    for (const event of WEBHOOK_EVENTS) {
      const state = h[webhookStateField(event)];
      if (state !== undefined) deliveries[event] = parseDeliveryState(state.toString());
    }
    return {
      url: String(w.url),
      events: Array.isArray(w.events) ? w.events : [],
      origin: String(w.origin),
      deliveries,
    };
  } catch {
    return undefined;
  }
}
