// The admin API's wire contract (the publisher's /v1/admin/*): what publish and update
// accept and what every admin route answers. The publisher validates and builds its replies
// with these schemas, its OpenAPI document is generated from them, and the CLI reads its
// types from them. The control plane's stored records (packages/control) build on them.
import { z } from 'zod';
import { ErrorBodySchema } from './api-schemas.ts';
import { MODEL_NAME } from './model.ts';
import type { SchemaSet } from './openapi.ts';

/** Version folder names: key- and URL-safe. */
export const VERSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'] as const;

/** What the leader observes of a published model. */
export const MODEL_STATES = ['pending', 'loading', 'available', 'rolling_out', 'unplaceable', 'failed'] as const;
export type ModelStateName = (typeof MODEL_STATES)[number];

/** What a worker reports of a version it holds. */
export const HELD_STATES = ['downloading', 'loading', 'ready', 'failed', 'unloading'] as const;
export type HeldState = (typeof HELD_STATES)[number];

const constraintKey = z.string().regex(/^[a-z][a-z0-9_.-]{0,62}$/, 'constraint keys are lowercase words, e.g. accelerator');

const tunables = {
  /** Most rows per inference; 0 disables batching. */
  max_batch_size: z.number().int().min(0).max(4096).optional(),
  max_queue_delay_ms: z.number().int().min(0).max(10_000).optional(),
  max_queue_length: z.number().int().min(0).optional(),
  timeout_ms: z.number().int().positive().optional(),
  /** Memory one replica needs; default: twice the checkpoint's size. */
  memory_bytes: z.number().int().positive().optional(),
  /** Worker labels a replica needs, e.g. {"accelerator": "gpu"}. */
  constraints: z.record(constraintKey, z.string().min(1).max(128)),
  execution_provider: z.enum(EXECUTION_PROVIDERS).optional(),
};

const uri = z.string().min(1).max(1024);
const replicas = z.number().int().min(0).max(1024);
const version = z.string().regex(VERSION_NAME, 'versions match [A-Za-z0-9][A-Za-z0-9._-]{0,63}').nullable();

/** Body of POST /v1/admin/models. */
export const PublishRequestSchema = z
  .object({
    name: z.string().regex(MODEL_NAME, 'model names match [a-z0-9][a-z0-9._-]{0,62}'),
    /** Base URI: gs://bucket/prefix, a local path or file:// URI holding <version>/model.onnx. */
    uri,
    replicas: replicas.default(1),
    /** Serve this version; null serves the highest complete one and rolls out new ones. */
    version: version.default(null),
    ...tunables,
    constraints: tunables.constraints.default({}),
  })
  .strict();
export type PublishRequest = z.infer<typeof PublishRequestSchema>;

/** Body of PATCH /v1/admin/models/{name}: only the fields given change; `"version": null` returns to the latest. */
export const UpdateRequestSchema = z
  .object({ uri: uri.optional(), replicas: replicas.optional(), version: version.optional(), ...tunables, constraints: tunables.constraints.optional() })
  .strict();
export type UpdateRequest = z.infer<typeof UpdateRequestSchema>;

/** The settings publish and update share, as a client sends them. */
export type ModelSettings = z.input<typeof UpdateRequestSchema>;

const ProgressSchema = z.object({ done: z.number(), total: z.number() });
const timestamp = z.iso.datetime();

/** A published model: its settings, the leader's view of it and the workers holding it. */
export const AdminModelSchema = PublishRequestSchema.extend({
  created_at: timestamp,
  updated_at: timestamp,
  status: z.object({
    state: z.enum(MODEL_STATES),
    reason: z.string().optional(),
    serving_version: z.string().optional(),
    target_version: z.string().optional(),
    versions: z.array(z.string()).describe('Complete versions in the checkpoint store.'),
    ready_replicas: z.number(),
    error: z.string().optional().describe('The last error, e.g. why the target version failed to load.'),
  }),
  workers: z.array(
    z.object({ id: z.string(), version: z.string(), state: z.enum(HELD_STATES), progress: ProgressSchema.optional(), error: z.string().optional() }),
  ),
});
export type AdminModel = z.infer<typeof AdminModelSchema>;

export const AdminModelListSchema = z.object({ models: z.array(AdminModelSchema) });

/** A worker as its last report describes it. */
export const AdminWorkerSchema = z.object({
  id: z.string(),
  host: z.string(),
  accelerator: z.string(),
  memory_bytes: z.number(),
  memory_used_bytes: z.number().describe('Memory budgeted for the versions it holds.'),
  tags: z.record(z.string(), z.string()),
  alive: z.boolean().describe('Whether its last report is within ALTO_WORKER_TIMEOUT_MS.'),
  last_seen: timestamp,
  state: z.string(),
  inflight: z.number(),
  models: z.array(
    z.object({
      name: z.string(), version: z.string(), uri: z.string(), state: z.enum(HELD_STATES),
      progress: ProgressSchema.optional(), error: z.string().optional(),
    }),
  ),
  drained: z.boolean().describe('Whether it is drained: its models move elsewhere.'),
});
export type AdminWorker = z.infer<typeof AdminWorkerSchema>;

export const AdminWorkerListSchema = z.object({ workers: z.array(AdminWorkerSchema) });

export const UnpublishResultSchema = z.object({
  name: z.string(),
  unpublished: z.literal(true),
  failed_queued: z.number().int().min(0).describe('Queued predictions failed with model_unpublished.'),
});
export type UnpublishResult = z.infer<typeof UnpublishResultSchema>;

export const DrainResultSchema = z.object({ id: z.string(), drained: z.boolean() });

export const DeadLetterSchema = z.object({
  entry: z.string().describe('Id of the entry in the dead-letter stream.'),
  prediction_id: z.string(),
  version: z.string(),
  deliveries: z.number().int(),
  created_at: timestamp,
  dead_at: timestamp,
});

export const DeadLetterListSchema = z.object({
  model: z.string(),
  count: z.number().int().min(0),
  dead_letters: z.array(DeadLetterSchema),
  next: z.string().nullable().describe('Pass as `after` for the next page; null on the last page.'),
});
export type DeadLetterList = z.infer<typeof DeadLetterListSchema>;

export const ReplayRequestSchema = z
  .object({ entries: z.array(z.string().regex(/^\d+-\d+$/, 'stream entry ids look like 1700000000000-0')).max(10_000).optional() })
  .strict();

export const ReplayResultSchema = z.object({ model: z.string(), replayed: z.array(z.string()).describe('Ids of the predictions queued again.') });
export type ReplayResult = z.infer<typeof ReplayResultSchema>;

export const PublisherHealthSchema = z.object({ status: z.literal('ok'), leader: z.boolean() });

/** The named schemas of the admin API: the components of its OpenAPI document. */
export const ADMIN_SCHEMAS: SchemaSet = {
  input: { PublishRequest: PublishRequestSchema, UpdateRequest: UpdateRequestSchema, ReplayRequest: ReplayRequestSchema },
  output: {
    Model: AdminModelSchema, ModelList: AdminModelListSchema, Worker: AdminWorkerSchema, WorkerList: AdminWorkerListSchema,
    UnpublishResult: UnpublishResultSchema, DrainResult: DrainResultSchema, DeadLetter: DeadLetterSchema, DeadLetterList: DeadLetterListSchema,
    ReplayResult: ReplayResultSchema, Health: PublisherHealthSchema, Error: ErrorBodySchema,
  },
};
