export * from './admin-api.ts';
export * from './schemas.ts';
export { plan, matches, fmtBytes, type PlanInput, type PlanModel, type PlanWorker, type PlanOutput, type ModelPlan } from './plan.ts';
export { ControlStore, Batch } from './store.ts';
