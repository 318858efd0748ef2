// The admin API's worker view: built from a worker's report, to the AdminWorkerSchema the
// OpenAPI document is generated from.
import { AdminWorkerSchema, type WorkerReport } from '@alto/control';
import { describe, expect, it } from 'vitest';
import { workerView } from './views.ts';

const report: WorkerReport = {
  id: 'gpu-0',
  host: 'node-a',
  accelerator: 'cpu',
  memory_bytes: 8 * 2 ** 30,
  tags: {},
  state: 'running',
  inflight: 0,
  started_at: 0,
  seen: 1000,
  cached: [],
  models: [{ name: 'm', version: '1', uri: 'u', state: 'ready', memory_bytes: 1 << 30 }],
};

describe('workerView', () => {
  it('shows the devices a worker reports, as the admin schema describes them', () => {
    const devices: WorkerReport['devices'] = [
      {
        kind: 'cpu',
        model: 'AMD EPYC 7B13',
        count: 1,
        memory_bytes_per_device: 64 * 2 ** 30,
        cores: 16,
        source: 'host',
      },
      {
        kind: 'gpu',
        model: 'NVIDIA H200',
        count: 1,
        memory_bytes_per_device: 143771 * 2 ** 20,
        ids: [0],
        source: 'nvidia-smi',
      },
    ];
    const view = workerView({ ...report, devices }, 2000, 15_000, false);
    expect(view.devices).toEqual([devices[0], { ...devices[1], memory_used_bytes: 0 }]);
    expect(AdminWorkerSchema.strict().parse(view)).toEqual(view);
  });

  it('counts each replica against the budget it was placed on: the CPU, or the first device of its kind', () => {
    const devices: WorkerReport['devices'] = [
      { kind: 'cpu', model: 'Xeon', count: 1, memory_bytes_per_device: 64 * 2 ** 30 },
      { kind: 'gpu', model: 'NVIDIA L4', count: 1, memory_bytes_per_device: 22 * 2 ** 30, ids: [0] },
      { kind: 'gpu', model: 'NVIDIA T4', count: 1, memory_bytes_per_device: 15 * 2 ** 30, ids: [1] },
    ];
    const models: WorkerReport['models'] = [
      { name: 'a', version: '1', uri: 'u', state: 'ready', memory_bytes: 3 * 2 ** 30, device: 'gpu' },
      { name: 'b', version: '1', uri: 'u', state: 'ready', memory_bytes: 2 * 2 ** 30, device: 'cpu' },
      { name: 'c', version: '1', uri: 'u', state: 'ready', memory_bytes: 1 * 2 ** 30 },
    ];
    const view = workerView({ ...report, devices, models }, 2000, 15_000, false);
    expect(view.memory_used_bytes).toBe(3 * 2 ** 30);
    expect(view.devices.map((d) => d.memory_used_bytes)).toEqual([undefined, 3 * 2 ** 30, undefined]);
    expect(view.models.map((m) => m.name)).toEqual(['a', 'b', 'c']);
    // A report without devices: one budget, as before.
    expect(workerView({ ...report, models }, 2000, 15_000, false).memory_used_bytes).toBe(6 * 2 ** 30);
  });

  it('shows no devices for a worker that reports none', () => {
    expect(workerView(report, 2000, 15_000, false).devices).toEqual([]);
  });
});
