// How a prediction's webhook sits in its hash: `webhook` holds {"url", "events", "origin"}
// as JSON (the Lua scripts read `events` to decide whether to append an event to the
// outbox), and `webhook_<event>` each event's delivery state once the event happened.
import { WEBHOOK_EVENTS, parseDeliveryState, type WebhookEvent, type WebhookRecord } from '@alto/protocol';

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
  url: w.url, events: [...new Set(w.events)], origin: w.origin, deliveries: {},
});

/** The webhook of a prediction hash, or undefined without one. */
export function parseWebhook(h: Record<string, Buffer>): WebhookRecord | undefined {
  const raw = h.webhook?.toString();
  if (raw === undefined) return undefined;
  const w = JSON.parse(raw) as Omit<WebhookRecord, 'deliveries'>;
  const deliveries: WebhookRecord['deliveries'] = {};
  for (const event of WEBHOOK_EVENTS) {
    const state = h[`webhook_${event}`];
    if (state !== undefined) deliveries[event] = parseDeliveryState(state.toString());
  }
  return { url: w.url, events: w.events, origin: w.origin, deliveries };
}
