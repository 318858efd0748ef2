import { describe, expect, it } from 'vitest';
import { scalingTable } from './scaling.ts';

describe('alto scaling', () => {
  it('prints one row per pool: desired, current, backlog, rates, idle time and models', () => {
    const out = scalingTable({
      target_drain_s: 30,
      idle_s: 300,
      pools: [
        {
          pool: 'cpu',
          desired_workers: 3,
          current_workers: 1,
          backlog: 120,
          arrival_rate: 4.256,
          throughput_per_worker: 10,
          idle_for_s: null,
          models: [
            {
              model: 'tiny',
              backlog: 120,
              arrival_rate: 4.256,
              ready_replicas: 1,
              throughput_per_replica: 10,
              desired_replicas: 3,
            },
          ],
        },
        {
          pool: 'gpu-team-ml',
          desired_workers: 0,
          current_workers: 0,
          backlog: 0,
          arrival_rate: 0,
          throughput_per_worker: null,
          idle_for_s: 412,
          models: [],
        },
      ],
    });
    expect(out).toBe(
      'POOL         DESIRED  CURRENT  BACKLOG  ARRIVALS  PER WORKER  IDLE  MODELS\n' +
        'cpu          3        1        120      4.26/s    10/s        busy  tiny (120 queued, 1 ready)\n' +
        'gpu-team-ml  0        0        0        0/s       -           412s  -\n' +
        'target drain 30s, idle to zero after 300s\n',
    );
  });

  it('says so when there is no pool', () => {
    expect(scalingTable({ target_drain_s: 30, idle_s: 300, pools: [] })).toBe(
      'no pools\ntarget drain 30s, idle to zero after 300s\n',
    );
  });
});
