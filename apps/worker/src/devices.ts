// The devices this worker runs replicas on, as it reports them to the publisher: the CPU
// (host memory, cores, model name), NVIDIA GPUs from nvidia-smi, and whatever an accelerator
// runtime reports (the XLA runtime's `devices` reply: TPUs, and GPUs with the memory PJRT
// lets models use). ALTO_DEVICES pins the worker to some of them. It measures nothing at run
// time: discovery runs once at start, a runtime's reply is merged when the runtime starts.
import { execFile } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import type { Device, DeviceKind } from '@alto/control';

/** What ALTO_DEVICES asks for: no accelerator, or some (or all) GPUs or TPU chips. */
export type DevicePin = { kind: 'cpu' } | { kind: 'gpu' | 'tpu'; ids: number[] | 'all' };

const PIN_FORMAT = 'expected cpu, gpu:all, tpu:all, or gpu:/tpu: with device indices such as gpu:0 or gpu:0,1';

/** Parses ALTO_DEVICES: `cpu`, `gpu:all`, `gpu:0`, `gpu:0,1`, `tpu:all`, `tpu:0`. */
export function parseDevicePin(text: string): DevicePin {
  const s = text.trim();
  if (s === 'cpu') return { kind: 'cpu' };
  const m = /^(gpu|tpu):(.+)$/.exec(s);
  if (!m) throw new Error(PIN_FORMAT);
  const kind = m[1] as 'gpu' | 'tpu';
  if (m[2] === 'all') return { kind, ids: 'all' };
  const parts = m[2]!.split(',').map((p) => p.trim());
  if (!parts.every((p) => /^\d{1,4}$/.test(p)))
    throw new Error(`${kind} device indices are whole numbers: ${PIN_FORMAT}`);
  const ids = parts.map(Number);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new Error(`${kind} device ${twice} is given twice`);
  return { kind, ids };
}

export const formatPin = (pin: DevicePin): string =>
  pin.kind === 'cpu' ? 'cpu' : `${pin.kind}:${pin.ids === 'all' ? 'all' : pin.ids.join(',')}`;

/**
 * Environment for the runtimes the worker starts (and onnxruntime's CUDA provider in this
 * process), so they see only the pinned devices. Indices are nvidia-smi's, which are CUDA's
 * when CUDA_DEVICE_ORDER=PCI_BUS_ID (set here too, since CUDA's own default order differs).
 */
export function runtimeEnv(pin: DevicePin | undefined): Record<string, string> {
  if (!pin) return {};
  if (pin.kind === 'cpu') return { CUDA_VISIBLE_DEVICES: '', JAX_PLATFORMS: 'cpu' };
  if (pin.kind === 'tpu') {
    if (pin.ids === 'all') return { CUDA_VISIBLE_DEVICES: '' };
    const chips = { CUDA_VISIBLE_DEVICES: '', TPU_VISIBLE_CHIPS: pin.ids.join(',') };
    // One chip per process is libtpu's documented split; other shapes need the operator's bounds.
    return pin.ids.length === 1
      ? { ...chips, TPU_CHIPS_PER_PROCESS_BOUNDS: '1,1,1', TPU_PROCESS_BOUNDS: '1,1,1' }
      : chips;
  }
  if (pin.ids === 'all') return {};
  return { CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CUDA_VISIBLE_DEVICES: pin.ids.join(',') };
}

/** The query the worker runs; its output is what parseNvidiaSmi reads. */
export const NVIDIA_SMI_ARGS = ['--query-gpu=index,name,memory.total,memory.used', '--format=csv,noheader,nounits'];

export interface GpuRow {
  index: number;
  name: string;
  /** memory.total; 0 when nvidia-smi says [N/A]. */
  memory_bytes: number;
  memory_used_bytes: number;
}

const MiB = 1024 * 1024;

/**
 * Reads `nvidia-smi --query-gpu=index,name,memory.total,memory.used --format=csv,noheader,nounits`:
 * one line per GPU, `0, NVIDIA H200, 143771, 0`, memory in MiB. A value nvidia-smi cannot
 * read (`[N/A]`, `[Not Supported]`) counts as 0. Lines that are not GPU rows are an error.
 */
export function parseNvidiaSmi(output: string): GpuRow[] {
  const rows: GpuRow[] = [];
  for (const line of output.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    // A GPU name never holds a comma; split from both ends anyway so one that did would survive.
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < 4 || !/^\d+$/.test(cells[0]!))
      throw new Error(`nvidia-smi: expected 'index, name, memory.total, memory.used', got '${line.trim()}'`);
    const mib = (cell: string) => (/^\d+(\.\d+)?$/.test(cell) ? Math.round(Number(cell) * MiB) : 0);
    rows.push({
      index: Number(cells[0]),
      name: cells.slice(1, -2).join(','),
      memory_bytes: mib(cells.at(-2)!),
      memory_used_bytes: mib(cells.at(-1)!),
    });
  }
  return rows;
}

/** Devices of one kind grouped by model and memory, in the order of their first index. */
export function groupDevices(
  kind: DeviceKind,
  source: NonNullable<Device['source']>,
  list: readonly { id: number; model: string; memory_bytes: number }[],
): Device[] {
  const groups = new Map<string, Device>();
  for (const d of [...list].sort((a, b) => a.id - b.id)) {
    const key = `${d.model}\0${d.memory_bytes}`;
    const g = groups.get(key);
    if (g) {
      g.count++;
      g.ids!.push(d.id);
    } else
      groups.set(key, { kind, model: d.model, count: 1, memory_bytes_per_device: d.memory_bytes, ids: [d.id], source });
  }
  return [...groups.values()];
}

/** The host's CPU: one device with the host's physical memory and all its cores. */
export function cpuDevice(cores: readonly { model: string }[] = cpus(), memory = totalmem()): Device {
  const model = cores[0]?.model.trim().replace(/\s+/g, ' ') || 'unknown CPU';
  return {
    kind: 'cpu',
    model,
    count: 1,
    memory_bytes_per_device: memory,
    cores: Math.max(1, cores.length),
    source: 'host',
  };
}

/** Why the pinned devices cannot be had: the worker stops at start with this message. */
export class DeviceError extends Error {
  readonly code = 'invalid_config';
}

export interface DiscoverOptions {
  /** Runs nvidia-smi with NVIDIA_SMI_ARGS; resolves undefined when it is not installed. */
  nvidiaSmi?: () => Promise<string | undefined>;
  cpu?: Device;
  /** Told about a failing nvidia-smi that was not asked for by a pin. */
  warn?: (message: string) => void;
}

/** The CPU, and the GPUs nvidia-smi lists unless ALTO_DEVICES pins the worker to none or to TPUs. */
export async function discoverDevices(pin: DevicePin | undefined, o: DiscoverOptions = {}): Promise<Device[]> {
  const cpu = o.cpu ?? cpuDevice();
  if (pin && pin.kind !== 'gpu') return [cpu];
  const asked = pin ? `ALTO_DEVICES=${formatPin(pin)}` : undefined;
  let rows: GpuRow[] | undefined;
  try {
    const output = await (o.nvidiaSmi ?? runNvidiaSmi)();
    rows = output === undefined ? undefined : parseNvidiaSmi(output);
  } catch (err) {
    const why = (err as Error).message.trim().split('\n')[0]!;
    const failed = why.startsWith('nvidia-smi') ? why : `nvidia-smi failed: ${why}`;
    if (asked) throw new DeviceError(`${asked}: ${failed}`);
    o.warn?.(`${failed}; reporting no GPU`);
    return [cpu];
  }
  if (rows === undefined) {
    if (asked) throw new DeviceError(`${asked}: nvidia-smi is not installed (not on PATH), so no GPU can be found`);
    return [cpu];
  }
  if (pin?.kind === 'gpu') {
    const listed = rows.map((r) => r.index);
    if (pin.ids === 'all' && rows.length === 0) throw new DeviceError(`${asked}: nvidia-smi lists no GPU`);
    if (pin.ids !== 'all') {
      const ids = pin.ids;
      const missing = ids.filter((id) => !listed.includes(id));
      if (missing.length > 0)
        throw new DeviceError(
          `${asked}: no GPU ${missing.join(', ')}; nvidia-smi lists ${listed.length ? listed.join(', ') : 'none'}`,
        );
      rows = rows.filter((r) => ids.includes(r.index));
    }
  }
  const gpus = groupDevices(
    'gpu',
    'nvidia-smi',
    rows.map((r) => ({ id: r.index, model: r.name, memory_bytes: r.memory_bytes })),
  );
  return [cpu, ...gpus];
}

/** Resolves nvidia-smi's output, or undefined when there is no nvidia-smi. */
export function runNvidiaSmi(): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    execFile('nvidia-smi', NVIDIA_SMI_ARGS, { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') resolve(undefined);
      else if (err) reject(new Error(stderr.trim() || stdout.trim() || err.message));
      else resolve(stdout);
    });
  });
}

/**
 * The XLA runtime's `devices` reply (runtimes/xla/PROTOCOL.md): the platform JAX chose and
 * each device, with `memory_bytes` from PJRT's `memory_stats()` (null when the plugin has none).
 */
export interface RuntimeDevices {
  kind: DeviceKind;
  model: string;
  count: number;
  memory_bytes_per_device: number | null;
  devices?: { id: number; kind: DeviceKind; model: string; memory_bytes: number | null; memory_source: string }[];
}

/**
 * `discovered` with an accelerator runtime's devices merged in. The runtime knows what its
 * models can use (on a GPU the share of memory JAX reserved, not the card's total), so its
 * devices replace the discovered ones of the same kind; where it knows no memory the
 * discovered figure stays. A runtime on the CPU adds nothing: the host is already there.
 */
export function mergeRuntimeDevices(discovered: readonly Device[], reply: RuntimeDevices): Device[] {
  if (reply.kind === 'cpu') return [...discovered];
  const known = discovered.filter((d) => d.kind === reply.kind);
  const fallback = known[0]?.memory_bytes_per_device ?? 0;
  const list = reply.devices?.filter((d) => d.kind === reply.kind) ?? [];
  const devices =
    list.length > 0
      ? list.map((d) => ({ id: d.id, model: d.model, memory_bytes: d.memory_bytes ?? fallback }))
      : Array.from({ length: reply.count }, (_, id) => ({
          id,
          model: reply.model,
          memory_bytes: reply.memory_bytes_per_device ?? fallback,
        }));
  // The runtime counts its own devices from 0 (after CUDA_VISIBLE_DEVICES); nvidia-smi's
  // indices are the ones people pin, so they are kept where the counts agree.
  const physical = known.flatMap((d) => d.ids ?? []).sort((a, b) => a - b);
  const byRuntimeId = [...devices].sort((a, b) => a.id - b.id);
  if (physical.length === devices.length) byRuntimeId.forEach((d, i) => (d.id = physical[i]!));
  const merged = groupDevices(reply.kind, 'runtime', byRuntimeId);
  const first = discovered.findIndex((d) => d.kind === reply.kind);
  const rest = discovered.filter((d) => d.kind !== reply.kind);
  rest.splice(first === -1 ? rest.length : first, 0, ...merged);
  return rest;
}
