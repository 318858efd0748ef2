// The admin API's shapes as the CLI reads and sends them: the types of the admin API's own
// schemas in @alto/control, not copies (types only: nothing of it loads at run time).
// Settings go out as the user typed them: the admin API checks them and says why it
// refuses, so an execution provider is any name here.
import type {
  ApiKey,
  ApiKeyCreateRequest,
  ApiKeyCreated,
  AdminModel,
  AdminWorker,
  AuditList,
  Whoami,
  DeadLetterList,
  ModelSettings as Settings,
  ReplayResult,
  ScalingReport,
  UnpublishResult,
} from '@alto/control';

export type { AuditList, DeadLetterList, ReplayResult, UnpublishResult, Whoami };
export type { ApiKey, ApiKeyCreateRequest, ApiKeyCreated };
export type ModelView = AdminModel;
export type WorkerView = AdminWorker;
export type ScalingView = ScalingReport;

export type ModelSettings = Omit<Settings, 'execution_provider'> & { execution_provider?: string };

/** Body of POST /v1/admin/models. */
export interface PublishRequest extends ModelSettings {
  name: string;
  uri: string;
}

/** Body of PATCH /v1/admin/models/{name}. */
export type UpdateRequest = ModelSettings;
