// webhook-delivery-1.lua: records one webhook event's delivery state in its prediction.
import type { DeliveryState, WebhookEvent } from '@alto/protocol';
import type { PredictionRef } from './prediction-ref.ts';
import { codeOf, queueScript } from './queue-script.ts';

export interface WebhookDeliveryParams extends PredictionRef {
  event: WebhookEvent;
  state: DeliveryState;
}

/** The script's replies, as its `local NAME = <code>` lines name them. */
export const WEBHOOK_DELIVERY_CODES = { STORED: 1, GONE: 0 } as const;

export type WebhookDeliveryOutcome = keyof typeof WEBHOOK_DELIVERY_CODES;

export const webhookDelivery = queueScript<WebhookDeliveryParams, WebhookDeliveryOutcome>('webhookDelivery', {
  file: 'webhook-delivery-1.lua',
  outcomes: Object.keys(WEBHOOK_DELIVERY_CODES),
  codes: WEBHOOK_DELIVERY_CODES,
  keys: (p) => [p.keys.prediction(p.model, p.predictionId)],
  argv: (p) => [p.event, JSON.stringify(p.state)],
  decode: (reply) => codeOf('webhook-delivery-1.lua', WEBHOOK_DELIVERY_CODES, reply),
});
