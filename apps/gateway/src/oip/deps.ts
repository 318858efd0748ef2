// What the Open Inference Protocol's REST routes and gRPC service need, from the gateway's deps.
import type { GatewayDeps } from '../app.ts';
import { readiness } from '../readiness.ts';
import { predictions } from '../submit.ts';
import type { OipRestDeps } from './rest.ts';

export type OipDeps = OipRestDeps;

export const oipDeps = (d: GatewayDeps): OipDeps => ({
  auth: d.auth,
  log: d.log,
  metrics: d.metrics,
  maxBodyBytes: d.maxBodyBytes,
  predictions: predictions(d),
  inferTimeoutSeconds: d.oipInferTimeoutSeconds ?? 60,
  ...(d.bytesLimits ? { bytesLimits: d.bytesLimits } : {}),
  idempotencyMs: d.idempotencyMs ?? 86_400_000,
  ready: () => readiness(d),
});
