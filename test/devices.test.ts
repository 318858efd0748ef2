// A worker refuses at start, in one line naming ALTO_DEVICES, devices it cannot have: a value
// that is no device set (exit 2, before anything starts) and GPUs that are not there (exit 1).
import { spawnProc } from '@alto/procs';
import { describe, expect, inject, it } from 'vitest';
import { ROOT, testPrefix } from './support/fleet.ts';

const worker = (extra: Record<string, string>) =>
  spawnProc(process.execPath, ['--import', 'tsx', 'apps/worker/src/main.ts'], {
    name: 'worker',
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      REDIS_URL: inject('redisUrl'),
      ALTO_PREFIX: testPrefix('devices'),
      ALTO_METRICS_PORT: '0',
      ALTO_LOG_LEVEL: 'info',
      ...extra,
    },
  });

describe('ALTO_DEVICES', () => {
  it('refuses a value that names no device set, with the forms it takes', async () => {
    const p = worker({ ALTO_DEVICES: 'gpu0' });
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(/ALTO_DEVICES: expected cpu, gpu:all, tpu:all, .* \(got 'gpu0'\)/);
  });

  it('stops at start when the pinned GPU is not there, saying why', async () => {
    // GPU 99: no machine this runs on has it, with or without nvidia-smi.
    const p = worker({ ALTO_DEVICES: 'gpu:99' });
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(/ALTO_DEVICES=gpu:99: (nvidia-smi is not installed|no GPU 99|nvidia-smi failed)/);
  });
});
