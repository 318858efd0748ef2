// Workers and their devices, end to end. A worker refuses at start, in one line naming
// ALTO_DEVICES, devices it cannot have. A worker pinned to a GPU reports that GPU as nvidia-smi
// lists it and hands the pin to the processes it starts (CUDA_VISIBLE_DEVICES); the publisher
// checks GPU models against the GPU's memory and CPU models against the host budget, saying
// which device is too small and by how much. No GPU exists here: the nvidia-smi these workers
// find prints what one on a two-H200 machine prints for the query.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnProc } from '@alto/procs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADMIN_TOKEN, ROOT, startManagedWorker, startPublisher, testPrefix, type Proc } from './support/fleet.ts';
import { waitFor } from './support/wait.ts';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const gib = (n: number) => `${(n / GiB).toFixed(1)} GiB`;

const spawnWorker = (extra: Record<string, string>) =>
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

describe('ALTO_DEVICES at start', () => {
  it('refuses a value that names no device set, with the forms it takes', async () => {
    const p = spawnWorker({ ALTO_DEVICES: 'gpu0' });
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(/ALTO_DEVICES: expected cpu, gpu:all, tpu:all, .* \(got 'gpu0'\)/);
  });

  it('stops the worker when the pinned GPU is not there, saying why', async () => {
    // GPU 99: no machine this runs on has it, with or without nvidia-smi.
    const p = spawnWorker({ ALTO_DEVICES: 'gpu:99' });
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(/ALTO_DEVICES=gpu:99: (nvidia-smi is not installed|no GPU 99|nvidia-smi failed)/);
  });
});

describe('placement by devices', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('placement');
  const dir = mkdtempSync(join(tmpdir(), 'alto-devices-'));
  const base = join(dir, 'repo', 'tiny');
  const H200_MIB = 143771;
  let publisher: Proc & { url: string };
  let worker: Proc;

  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${publisher.url}/v1/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: r.status, body: (await r.json()) as Record<string, any> };
  };
  const status = async (name: string) => (await admin('GET', `/models/${name}`)).body.status;

  beforeAll(async () => {
    mkdirSync(join(base, '1'), { recursive: true });
    cpSync(join(ROOT, 'models/tiny/1/model.onnx'), join(base, '1', 'model.onnx'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'nvidia-smi'),
      // It also records the CUDA variables it was started with: what every process the worker starts sees.
      `#!/bin/sh\nenv | grep '^CUDA_' | sort > '${join(dir, 'child-env')}'\n` +
        `printf '0, NVIDIA H200, ${H200_MIB}, 0\\n1, NVIDIA H200, ${H200_MIB}, 0\\n'\n`,
    );
    chmodSync(join(bin, 'nvidia-smi'), 0o755);
    publisher = await startPublisher(redisUrl, prefix, { ALTO_ALLOWED_ROOTS: join(dir, 'repo') });
    worker = await startManagedWorker(redisUrl, prefix, 'gpu-1', {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      ALTO_DEVICES: 'gpu:1',
      ALTO_WORKER_MEMORY_BYTES: String(GiB),
      ALTO_CACHE_DIR: join(dir, 'cache'),
    });
  });
  afterAll(async () => {
    await Promise.all([worker?.kill(), publisher?.kill()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a worker pinned to a GPU reports that GPU and its CPU', async () => {
    const workers = await waitFor(
      async () => {
        const list = (await admin('GET', '/workers')).body.workers;
        return list.length > 0 ? list : undefined;
      },
      { what: 'the worker registered' },
    );
    expect(workers[0].devices).toEqual([
      expect.objectContaining({ kind: 'cpu', count: 1 }),
      {
        kind: 'gpu',
        model: 'NVIDIA H200',
        count: 1,
        memory_bytes_per_device: H200_MIB * MiB,
        ids: [1],
        source: 'nvidia-smi',
        memory_used_bytes: 0,
      },
    ]);
  });

  it('exports the pinned GPU to the processes it starts as CUDA_VISIBLE_DEVICES, in nvidia-smi order', () => {
    expect(readFileSync(join(dir, 'child-env'), 'utf8')).toBe('CUDA_DEVICE_ORDER=PCI_BUS_ID\nCUDA_VISIBLE_DEVICES=1\n');
  });

  it('places a GPU model by GPU memory, beyond the host budget', async () => {
    // 100 GiB: far above the worker's 1 GiB host budget, within one H200.
    const r = await admin('POST', '/models', {
      name: 'on-gpu',
      uri: base,
      memory_bytes: 100 * GiB,
      constraints: { accelerator: 'gpu' },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    await waitFor(async () => (await status('on-gpu')).state === 'available', {
      what: 'on-gpu available',
      timeoutMs: 30_000,
    });
    // The worker's view counts it against the GPU, not the host budget.
    const [w] = (await admin('GET', '/workers')).body.workers;
    expect(w.memory_used_bytes).toBe(0);
    expect(w.devices[1].memory_used_bytes).toBe(100 * GiB);
  });

  it('says which device is too small and by how much', async () => {
    // A second GPU model: 50 GiB more than what the first left free on the H200.
    const free = H200_MIB * MiB - 100 * GiB;
    const cases = [
      {
        name: 'huge-gpu',
        memory: 200 * GiB,
        constraints: { accelerator: 'gpu' },
        reason:
          "a replica needs 200.0 GiB; no matching worker's GPU is that large: the largest, NVIDIA H200 on gpu-1, has " +
          `${gib(H200_MIB * MiB)} (${gib(200 * GiB - H200_MIB * MiB)} short)`,
      },
      {
        name: 'second-gpu',
        memory: 50 * GiB,
        constraints: { accelerator: 'gpu' },
        reason: `a replica needs 50.0 GiB; the most free GPU memory on a matching worker is ${gib(free)}`,
      },
      {
        name: 'on-cpu',
        memory: 2 * GiB,
        constraints: {},
        reason:
          "a replica needs 2.0 GiB; no matching worker's CPU memory budget is that large: " +
          'the largest, on gpu-1, is 1.0 GiB (1.0 GiB short)',
      },
    ];
    for (const c of cases) {
      const r = await admin('POST', '/models', {
        name: c.name,
        uri: base,
        memory_bytes: c.memory,
        constraints: c.constraints,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    for (const c of cases) {
      const s = await waitFor(
        async () => {
          const s = await status(c.name);
          return s.state === 'unplaceable' ? s : undefined;
        },
        { what: `${c.name} unplaceable` },
      );
      expect(s.reason).toBe(`1 of 1 replicas not placed: ${c.reason}`);
    }
  });
});
