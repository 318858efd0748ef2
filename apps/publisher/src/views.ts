// What the admin API answers: a published model with its observed state and the workers
// holding it; a worker with the models, versions and checkpoints it holds.
// Their shapes are the admin API's schemas (AdminModelSchema, AdminWorkerSchema): the return
// types hold them to it.
import type { AdminModel, AdminWorker, ModelSpec, ModelState, WorkerReport } from '@alto/control';

export function modelView(
  spec: ModelSpec,
  state: ModelState | undefined,
  reports: Iterable<WorkerReport>,
  now: number,
  timeoutMs: number,
): AdminModel {
  const { created_at, updated_at, ...fields } = spec;
  const workers = [];
  for (const r of reports) {
    if (now - r.seen > timeoutMs) continue;
    for (const h of r.models) {
      if (h.name !== spec.name) continue;
      workers.push({
        id: r.id,
        version: h.version,
        state: h.state,
        ...(h.progress ? { progress: h.progress } : {}),
        ...(h.error ? { error: h.error } : {}),
      });
    }
  }
  const {
    failed: _failed,
    updated_at: _at,
    ...status
  } = state ?? {
    state: 'pending' as const,
    reason: 'waiting for the leader publisher',
    versions: [],
    ready_replicas: 0,
    failed: {},
    updated_at: 0,
  };
  return {
    ...fields,
    created_at: new Date(created_at).toISOString(),
    updated_at: new Date(updated_at).toISOString(),
    status,
    workers: workers.sort((a, b) => a.id.localeCompare(b.id) || a.version.localeCompare(b.version)),
  };
}

export function workerView(r: WorkerReport, now: number, timeoutMs: number, drained: boolean): AdminWorker {
  // Each replica's memory counts against the budget it was placed on: the CPU's (also for
  // reports older than device discovery) or the first device of its kind (placement.ts).
  const usedOn = (kind: string) =>
    r.models.reduce((sum, m) => sum + ((m.device ?? 'cpu') === kind ? (m.memory_bytes ?? 0) : 0), 0);
  const used = r.devices ? usedOn('cpu') : r.models.reduce((sum, m) => sum + (m.memory_bytes ?? 0), 0);
  const devices = (r.devices ?? []).map((d, i, all) =>
    d.kind !== 'cpu' && all.findIndex((x) => x.kind === d.kind) === i ? { ...d, memory_used_bytes: usedOn(d.kind) } : d,
  );
  return {
    id: r.id,
    host: r.host,
    accelerator: r.accelerator,
    memory_bytes: r.memory_bytes,
    memory_used_bytes: used,
    devices,
    tags: r.tags,
    alive: now - r.seen <= timeoutMs,
    last_seen: new Date(r.seen).toISOString(),
    state: r.state,
    inflight: r.inflight,
    models: r.models.map(({ info: _info, memory_bytes: _m, device: _d, ...m }) => m),
    drained,
    ...(r.runtimes ? { runtimes: r.runtimes } : {}),
  };
}
