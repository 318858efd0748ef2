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
    expect(view.devices).toEqual(devices);
    expect(AdminWorkerSchema.strict().parse(view)).toEqual(view);
  });

  it('shows no devices for a worker that reports none', () => {
    expect(workerView(report, 2000, 15_000, false).devices).toEqual([]);
  });
});
