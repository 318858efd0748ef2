// The batch API's shapes, declared once: the gateway validates and documents with them
// (/openapi.json components BatchCreate, Batch, BatchList) and the CLI reads replies with them.
import { MODEL_NAME, PRIORITIES, WebhookUrlSchema } from '@alto/protocol';
import { z } from 'zod';
import { BATCH_STATUSES } from './batch.ts';

export const BatchCreateSchema = z
  .object({
    model: z
      .string()
      .regex(MODEL_NAME, {
        error: (issue) => `expected a model name (${MODEL_NAME.source}), got ${JSON.stringify(issue.input)}`,
      })
      .describe('The model every line runs on.'),
    input_uri: z
      .string()
      .min(1)
      .describe(
        'JSONL object, one prediction request body per line (with an optional `custom_id`): gs://bucket/name or ' +
          "file:///path, under one of the gateway's ALTO_PAYLOAD_ROOTS.",
      ),
    output_uri: z
      .string()
      .min(1)
      .describe(
        'Folder the results go to, as `<output_uri>/<batch id>/results-NNNNN.jsonl` shards; under ALTO_PAYLOAD_ROOTS.',
      ),
    priority: z
      .enum(PRIORITIES)
      .default('low')
      .describe("The priority of every line's prediction; interactive requests (normal, high) go first."),
    webhook: WebhookUrlSchema.optional().describe(
      'URL the signed `batch.completed` event is POSTed to when the batch ends (Standard Webhooks, as prediction ' +
        'webhooks: http:// or https://, its host resolving to an address deliveries may go to).',
    ),
  })
  .strict();
export type BatchCreate = z.infer<typeof BatchCreateSchema>;

const time = z.string().describe('RFC 3339 time.');

export const BatchSchema = z.object({
  id: z.string(),
  model: z.string(),
  status: z.enum(BATCH_STATUSES),
  input_uri: z.string(),
  output_uri: z.string(),
  results_uri: z.string().describe("The folder holding this batch's result shards."),
  priority: z.enum(PRIORITIES),
  counts: z.object({
    total: z.number().int().nullable().describe('Request lines of the input; null until counted.'),
    fed: z.number().int().describe('Lines submitted so far.'),
    succeeded: z.number().int(),
    failed: z.number().int(),
    canceled: z.number().int(),
    outstanding: z.number().int().describe('Lines fed whose result is not in a shard yet.'),
  }),
  shards: z.number().int().describe('Result shards written.'),
  rows_per_second: z.number().describe('Lines finished per second since the batch started.'),
  created_at: time,
  started_at: time.nullable(),
  finished_at: time.nullable(),
  canceled_at: time.nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable().describe('Why a failed batch failed.'),
  webhook: z.string().nullable().describe('Where the `batch.completed` event goes; null for none.'),
});

export const BatchListSchema = z.object({
  batches: z.array(BatchSchema).describe("The caller's batches, newest first."),
});

/** A batch as the API renders it (for clients: the CLI). */
export type BatchJson = z.infer<typeof BatchSchema>;
/** The body of POST /v1/batches, as sent (priority optional). */
export type BatchCreateJson = z.input<typeof BatchCreateSchema>;
