// Request bodies of the public API.
import { z } from 'zod';
import { PRIORITIES } from './priority.ts';
import { WebhookEventsFilterSchema, WebhookUrlSchema } from './webhook.ts';

export const PredictionRequestSchema = z
  .object({
    /** Input name → tensor; tensors are checked against the model by validateInputs. */
    input: z.record(z.string(), z.unknown()),
    /** How output tensors are rendered. @default 'json' */
    response_format: z.enum(['json', 'b64']).default('json'),
    /**
     * Milliseconds from submission: not started by then, the prediction expires; still
     * running then, it fails with deadline_exceeded. @default the model's timeout_ms, if any
     */
    timeout_ms: z
      .number()
      .int()
      .positive()
      .max(7 * 24 * 3600 * 1000)
      .optional(),
    /** Where to POST the prediction's events (see webhook.ts). */
    webhook: WebhookUrlSchema.optional(),
    /** Which events to POST there. @default ['completed'] */
    webhook_events_filter: WebhookEventsFilterSchema.optional(),
    /** Workers fill each batch from higher priorities first (see docs). @default 'normal' */
    priority: z.enum(PRIORITIES).default('normal'),
    /**
     * A folder (gs://bucket/prefix/ or file:///dir/) under ALTO_PAYLOAD_ROOTS: the worker writes
     * each output there as `<prediction id>/<output name>.npy` and the prediction's output holds
     * their URIs (docs/payloads.md). @default outputs inline
     */
    output_uri: z.string().min(1).optional(),
  })
  .strict();
export type PredictionRequest = z.infer<typeof PredictionRequestSchema>;
