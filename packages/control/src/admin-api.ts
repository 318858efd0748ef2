// The admin API's wire contract (the publisher's /v1/admin/*), beside the requests it takes
// (PublishRequestSchema, UpdateRequestSchema in schemas.ts): what every admin route answers.
// The publisher builds its replies to these schemas, its OpenAPI document is generated from
// them, and the CLI reads its types from them.
import { ErrorBodySchema, type SchemaSet } from '@alto/protocol';
import { z } from 'zod';
import { ApiKeyCreateRequestSchema, ApiKeyCreatedSchema, ApiKeyListSchema, ApiKeySchema } from './api-keys.ts';
import { AuditEventSchema, AuditListSchema } from './audit.ts';
import {
  DeviceSchema,
  HELD_STATES,
  MODEL_STATES,
  PublishRequestSchema,
  RUNTIMES,
  UpdateRequestSchema,
} from './schemas.ts';
import { PoolScalingSchema, ScalingReportSchema } from './scaling-api.ts';

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
    runtime: z.enum(RUNTIMES).optional().describe('The executor the target version needs: xla for a model.jax export.'),
    versions: z.array(z.string()).describe('Complete versions in the checkpoint store.'),
    ready_replicas: z.number(),
    error: z.string().optional().describe('The last error, e.g. why the target version failed to load.'),
  }),
  workers: z.array(
    z.object({
      id: z.string(),
      version: z.string(),
      state: z.enum(HELD_STATES),
      progress: ProgressSchema.optional(),
      error: z.string().optional(),
    }),
  ),
});
export type AdminModel = z.infer<typeof AdminModelSchema>;

export const AdminModelListSchema = z.object({ models: z.array(AdminModelSchema) });

/** A worker as its last report describes it. */
export const AdminWorkerSchema = z.object({
  id: z.string(),
  host: z.string(),
  accelerator: z.string(),
  memory_bytes: z.number().describe('Budget for replicas run on the CPU (ALTO_WORKER_MEMORY_BYTES).'),
  memory_used_bytes: z.number().describe('Memory budgeted for the versions it holds on the CPU.'),
  devices: z
    .array(
      DeviceSchema.extend({
        memory_used_bytes: z
          .number()
          .optional()
          .describe(
            "On a GPU or TPU: memory budgeted for the versions it holds on the worker's first device of the kind.",
          ),
      }),
    )
    .describe(
      'What it runs replicas on, by kind and model: count and memory per device. Empty for a worker that reports none.',
    ),
  tags: z.record(z.string(), z.string()),
  alive: z.boolean().describe('Whether its last report is within ALTO_WORKER_TIMEOUT_MS.'),
  last_seen: timestamp,
  state: z.string(),
  inflight: z.number(),
  models: z.array(
    z.object({
      name: z.string(),
      version: z.string(),
      uri: z.string(),
      state: z.enum(HELD_STATES),
      progress: ProgressSchema.optional(),
      error: z.string().optional(),
      compile_ms: z
        .record(z.string(), z.number())
        .optional()
        .describe('XLA models: compile time of each batch bucket at load, in ms, by bucket size.'),
    }),
  ),
  drained: z.boolean().describe('Whether it is drained: its models move elsewhere.'),
  runtimes: z
    .array(z.string())
    .optional()
    .describe('Executors it runs: onnx, and xla when the XLA runtime is installed.'),
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
  .object({
    entries: z
      .array(z.string().regex(/^\d+-\d+$/, 'stream entry ids look like 1700000000000-0'))
      .max(10_000)
      .optional(),
  })
  .strict();

export const ReplayResultSchema = z.object({
  model: z.string(),
  replayed: z.array(z.string()).describe('Ids of the predictions queued again.'),
});
export type ReplayResult = z.infer<typeof ReplayResultSchema>;

/** The admin token a request carries (GET /v1/admin/whoami). */
export const WhoamiSchema = z.object({
  name: z.string().describe("The token's name: `default` for ALTO_ADMIN_TOKEN."),
  scope: z.enum(['read', 'write']).describe('`read` may GET; `write` may also change state.'),
});
export type Whoami = z.infer<typeof WhoamiSchema>;

export const PublisherHealthSchema = z.object({ status: z.literal('ok'), leader: z.boolean() });

/** The named schemas of the admin API: the components of its OpenAPI document. */
export const ADMIN_SCHEMAS: SchemaSet = {
  input: {
    PublishRequest: PublishRequestSchema,
    UpdateRequest: UpdateRequestSchema,
    ReplayRequest: ReplayRequestSchema,
    ApiKeyCreateRequest: ApiKeyCreateRequestSchema,
  },
  output: {
    Model: AdminModelSchema,
    ModelList: AdminModelListSchema,
    Worker: AdminWorkerSchema,
    WorkerList: AdminWorkerListSchema,
    UnpublishResult: UnpublishResultSchema,
    DrainResult: DrainResultSchema,
    DeadLetter: DeadLetterSchema,
    DeadLetterList: DeadLetterListSchema,
    ReplayResult: ReplayResultSchema,
    Health: PublisherHealthSchema,
    Whoami: WhoamiSchema,
    AuditEvent: AuditEventSchema,
    AuditList: AuditListSchema,
    Error: ErrorBodySchema,
    Scaling: ScalingReportSchema,
    PoolScaling: PoolScalingSchema,
    ApiKey: ApiKeySchema,
    ApiKeyCreated: ApiKeyCreatedSchema,
    ApiKeyList: ApiKeyListSchema,
  },
};
