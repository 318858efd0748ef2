// Worker pools, for autoscaling: a pool is the workers sharing an accelerator kind and tags,
// the unit an external autoscaler (KEDA, a managed instance group, `npm start`'s fleet) grows
// and shrinks. Pure. Names are what deployments key on, so the rule is fixed:
//   - a worker's pool is its kind (`cpu`, `gpu`, `tpu`: the best device it reports, else its
//     ALTO_ACCELERATOR label) when it has no tags, else `<kind>-<key>-<value>-…` with its tags
//     sorted by key, lowercased, every character outside [a-z0-9-] turned into `-`;
//   - a model's pool is the one its placement constraints describe: the `accelerator`
//     constraint's kind, else `gpu` for a CUDA or TensorRT execution provider, else `cpu`
//     (XLA included: JAX runs on the CPU where there is no accelerator), followed by its tag
//     constraints (every key but `accelerator` and `runtime`) in the same form.
import { GPU_PROVIDERS } from './placement.ts';
import type { Device } from './schemas.ts';

const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]/g, '-');

/** `<kind>` or `<kind>-<key>-<value>-…`, tags sorted by key. */
export function poolName(kind: string, tags: Readonly<Record<string, string>>): string {
  const parts = Object.keys(tags)
    .sort()
    .map((k) => `${clean(k)}-${clean(tags[k]!)}`);
  return [clean(kind), ...parts].join('-');
}

/** What pool naming reads of a worker's report. */
export interface PoolWorker {
  accelerator: string;
  devices?: readonly Pick<Device, 'kind'>[];
  tags: Readonly<Record<string, string>>;
}

/** A worker's kind: TPU, then GPU, then CPU by the devices it reports; its label when it reports none. */
export function workerKind(w: PoolWorker): string {
  if (!w.devices) return w.accelerator;
  return (['tpu', 'gpu'] as const).find((k) => w.devices!.some((d) => d.kind === k)) ?? 'cpu';
}

export const workerPool = (w: PoolWorker): string => poolName(workerKind(w), w.tags);

/** The pool whose workers run a model with these constraints (see the rule above). */
export function modelPool(constraints: Readonly<Record<string, string>>, executionProvider?: string): string {
  const { accelerator, runtime: _runtime, ...tags } = constraints;
  const kind = accelerator ?? (executionProvider && GPU_PROVIDERS.has(executionProvider) ? 'gpu' : 'cpu');
  return poolName(kind, tags);
}
