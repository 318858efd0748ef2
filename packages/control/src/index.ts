export * from './admin-api.ts';
export * from './schemas.ts';
export { fmtBytes } from './bytes.ts';
export { deviceKind, deviceBudget } from './placement.ts';
export {
  plan,
  matches,
  type PlanInput,
  type PlanModel,
  type PlanWorker,
  type PlanOutput,
  type ModelPlan,
} from './plan.ts';
export { ControlStore, Batch } from './store.ts';
export { controlKeys, type ControlKeys } from './keys.ts';
export {
  CONTROL_SCRIPTS,
  LEASE_CODES,
  FENCED_WRITE_CODES,
  RESIGN_CODES,
  type FencedWrite,
  type LeaseOutcome,
} from './lua.ts';
export {
  appendAudit,
  readAudit,
  AUDIT_ACTIONS,
  AuditEventSchema,
  AuditListSchema,
  type AuditAction,
  type AuditEvent,
  type AuditInput,
  type AuditList,
  type AuditLog,
  type AuditOptions,
} from './audit.ts';
export { modelPool, poolName, workerPool, workerKind, type PoolWorker } from './pools.ts';
export {
  ScaleTracker,
  neededReplicas,
  poolDesired,
  RATE_WINDOW_MS,
  type ModelSample,
  type ModelScaling,
  type PoolScaling,
  type ScalingReport,
  type ScalingSettings,
} from './scaling.ts';
export { ModelScalingSchema, PoolScalingSchema, ScalingReportSchema } from './scaling-api.ts';
export {
  createApiKey,
  listApiKeys,
  getApiKey,
  revokeApiKey,
  ApiKeyCreateRequestSchema,
  ApiKeyCreatedSchema,
  ApiKeyListSchema,
  ApiKeySchema,
  type ApiKey,
  type ApiKeyCreateRequest,
  type ApiKeyCreated,
} from './api-keys.ts';
