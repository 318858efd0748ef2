// The webhook of a submitted prediction: checked before anything is queued. The URL's host
// must resolve to an address deliveries may go to (the dispatcher checks again, on the
// address it connects to, so a later change of DNS does not get around this).
import { AltoError, DEFAULT_WEBHOOK_EVENTS, type PredictionRequest } from '@alto/protocol';
import type { NewWebhook } from '@alto/queue';
import { checkWebhookHost, type AddressPolicy, type Resolver } from '@alto/webhooks';

export interface WebhookGate {
  /** The webhook the request asks for (undefined for none); throws a 400 for a refused one. */
  check(request: PredictionRequest, origin: string): Promise<NewWebhook | undefined>;
}

export function webhookGate(policy: AddressPolicy, resolve?: Resolver): WebhookGate {
  return {
    async check(request, origin) {
      if (request.webhook === undefined) {
        if (request.webhook_events_filter !== undefined) {
          throw new AltoError(
            'invalid_input',
            "field 'webhook_events_filter': given without 'webhook'; add the URL to send the events to",
          );
        }
        return undefined;
      }
      const refused = await checkWebhookHost(new URL(request.webhook), policy, resolve ? { resolve } : {});
      if (refused !== undefined) {
        throw new AltoError(
          'webhook_refused',
          `field 'webhook': ${refused}; deliveries go only to public addresses unless ALTO_WEBHOOK_ALLOW_CIDRS allows others`,
        );
      }
      return { url: request.webhook, events: request.webhook_events_filter ?? DEFAULT_WEBHOOK_EVENTS, origin };
    },
  };
}
