// Placement by devices, for the planner: which kind of device runs a model on a worker, how
// much memory that worker has for it, and why a replica fits on none. Pure, like plan.ts.
// It does not decide which worker wins among those that fit: plan.ts does.
//
// A replica runs on one device. The models a worker holds on one kind share the first device
// of that kind (onnxruntime's CUDA provider and JAX both place on device 0 unless told
// otherwise), so a worker's budget on a GPU or TPU is one device's memory; one worker per
// GPU (ALTO_DEVICES=gpu:N) is the pattern that uses them all. Models run on the CPU share
// the host budget, ALTO_WORKER_MEMORY_BYTES. A worker that reports no devices (older than
// device discovery) has that one budget for every kind.
import { fmtBytes } from './bytes.ts';
import type { PlanModel, PlanWorker } from './plan.ts';
import { DEVICE_KINDS, type Device, type DeviceKind } from './schemas.ts';

const isKind = (v: string | undefined): v is DeviceKind => (DEVICE_KINDS as readonly string[]).includes(v ?? '');

/** onnxruntime execution providers that run on an NVIDIA GPU. */
export const GPU_PROVIDERS: ReadonlySet<string> = new Set(['cuda', 'tensorrt']);

/** Whether `w` satisfies `accelerator=value`: a device of that kind, else its ALTO_ACCELERATOR label. */
export function matchesAccelerator(w: PlanWorker, value: string): boolean {
  if (w.devices && isKind(value)) return w.devices.some((d) => d.kind === value);
  return w.accelerator === value;
}

/** Whether `w` runs models of `runtime` (a worker that says nothing runs onnx only). */
export const hasRuntime = (w: PlanWorker, runtime: string): boolean => (w.runtimes ?? ['onnx']).includes(runtime);

/**
 * The kind of device that runs `m` on `w`: the one its `accelerator` constraint names, else
 * for XLA the accelerator JAX finds first (TPU, then GPU, then the CPU), else for ONNX the
 * GPU when the execution provider (the model's, else the worker's) is CUDA or TensorRT.
 */
export function deviceKind(m: PlanModel, w: PlanWorker): DeviceKind {
  const wanted = m.constraints.accelerator;
  if (isKind(wanted)) return wanted;
  if (m.constraints.runtime === 'xla')
    return (['tpu', 'gpu'] as const).find((k) => w.devices?.some((d) => d.kind === k)) ?? 'cpu';
  const provider = m.target?.execution_provider ?? w.executionProvider;
  return provider && GPU_PROVIDERS.has(provider) ? 'gpu' : 'cpu';
}

export interface DeviceBudget {
  /** Which budget: replicas sharing it add up against `bytes`. */
  key: DeviceKind;
  bytes: number;
  /** The device, for an accelerator. */
  device?: Device;
}

/** The memory `w` has for replicas on `kind`; undefined when it has no such device. */
export function deviceBudget(w: PlanWorker, kind: DeviceKind): DeviceBudget | undefined {
  if (!w.devices || kind === 'cpu') return { key: 'cpu', bytes: w.memory };
  const device = w.devices.find((d) => d.kind === kind);
  return device && { key: kind, bytes: device.memory_bytes_per_device, device };
}

/**
 * Why no matching worker has room for `m`, when the constraints match some and some hold no
 * replica yet (`eligible`): no device of the kind, too large for every device even empty,
 * or too large for what is free.
 */
export function noRoomReason(
  m: PlanModel,
  eligible: readonly PlanWorker[],
  free: (w: PlanWorker, kind: DeviceKind) => number,
): string {
  const sized = eligible.flatMap((w) => {
    const kind = deviceKind(m, w);
    const budget = deviceBudget(w, kind);
    return budget ? [{ w, kind, budget }] : [];
  });
  if (sized.length === 0) {
    const kinds = [...new Set(eligible.map((w) => deviceKind(m, w)))].join(' or ');
    const provider = m.target?.execution_provider;
    return `no matching worker has a ${kinds}${provider ? ` for execution_provider ${provider}` : ''}`;
  }
  const need = `a replica needs ${fmtBytes(m.memory)}`;
  const largest = sized.reduce((a, b) => (b.budget.bytes > a.budget.bytes ? b : a));
  if (largest.budget.bytes < m.memory) {
    const short = `${fmtBytes(largest.budget.bytes)} (${fmtBytes(m.memory - largest.budget.bytes)} short)`;
    const d = largest.budget.device;
    if (!d)
      return `${need}; no matching worker's CPU memory budget is that large: the largest, on ${largest.w.id}, is ${short}`;
    const name = d.kind.toUpperCase();
    return `${need}; no matching worker's ${name} is that large: the largest, ${d.model} on ${largest.w.id}, has ${short}`;
  }
  const most = Math.max(0, ...sized.map(({ w, kind }) => free(w, kind)));
  const what = sized.every((s) => s.budget.key === 'cpu')
    ? 'memory'
    : `${[...new Set(sized.map((s) => s.kind))].join('/').toUpperCase()} memory`;
  return `${need}; the most free ${what} on a matching worker is ${fmtBytes(most)}`;
}
