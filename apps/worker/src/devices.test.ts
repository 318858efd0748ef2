import { describe, expect, it } from 'vitest';
import type { Device } from '@alto/control';
import { loadEnv } from './env.ts';
import {
  DeviceError,
  cpuDevice,
  discoverDevices,
  mergeRuntimeDevices,
  parseDevicePin,
  parseNvidiaSmi,
  runtimeEnv,
  type RuntimeDevices,
} from './devices.ts';

const MiB = 1024 * 1024;

// What `nvidia-smi --query-gpu=index,name,memory.total,memory.used --format=csv,noheader,nounits` prints.
const H200x2 = '0, NVIDIA H200, 143771, 0\n1, NVIDIA H200, 143771, 512\n';
const MIXED =
  '0, NVIDIA GeForce RTX 4090, 24564, 1187\n1, NVIDIA GeForce RTX 3090, 24576, 3\n2, NVIDIA GeForce RTX 4090, 24564, 0\n';
const VGPU = '0, GRID A100-40C, [N/A], [N/A]\r\n';

const cpu: Device = cpuDevice([{ model: 'AMD EPYC 7B13 64-Core Processor' }, { model: 'x' }], 64 * 1024 * MiB);
const smi = (output: string | undefined) => () => Promise.resolve(output);

describe('parseNvidiaSmi', () => {
  it('reads index, name and memory in MiB', () => {
    expect(parseNvidiaSmi(H200x2)).toEqual([
      { index: 0, name: 'NVIDIA H200', memory_bytes: 143771 * MiB, memory_used_bytes: 0 },
      { index: 1, name: 'NVIDIA H200', memory_bytes: 143771 * MiB, memory_used_bytes: 512 * MiB },
    ]);
  });

  it('counts memory nvidia-smi cannot read as 0, and takes CRLF line ends', () => {
    expect(parseNvidiaSmi(VGPU)).toEqual([{ index: 0, name: 'GRID A100-40C', memory_bytes: 0, memory_used_bytes: 0 }]);
  });

  it('reads no line as no GPU, and refuses a line that is not a GPU row', () => {
    expect(parseNvidiaSmi('')).toEqual([]);
    expect(() => parseNvidiaSmi('No devices were found\n')).toThrow(
      "nvidia-smi: expected 'index, name, memory.total, memory.used', got 'No devices were found'",
    );
  });
});

describe('ALTO_DEVICES', () => {
  it('reads cpu, all or listed GPUs and TPU chips', () => {
    expect(parseDevicePin('cpu')).toEqual({ kind: 'cpu' });
    expect(parseDevicePin('gpu:0')).toEqual({ kind: 'gpu', ids: [0] });
    expect(parseDevicePin('gpu:0,1')).toEqual({ kind: 'gpu', ids: [0, 1] });
    expect(parseDevicePin('tpu:all')).toEqual({ kind: 'tpu', ids: 'all' });
  });

  it('refuses anything else with the forms it takes', () => {
    for (const bad of ['gpu', 'gpu:', 'gpu:a', 'fpga:0', 'gpu:-1', 'gpu:0;1'])
      expect(() => parseDevicePin(bad), bad).toThrow(
        /expected cpu, gpu:all, tpu:all, or gpu:\/tpu: with device indices/,
      );
    expect(() => parseDevicePin('gpu:1,1')).toThrow('gpu device 1 is given twice');
  });

  it('is parsed once with the worker environment, a bad value naming the variable', () => {
    expect(loadEnv({ ALTO_DEVICES: 'gpu:0,1' }).ALTO_DEVICES).toEqual({ kind: 'gpu', ids: [0, 1] });
    expect(loadEnv({}).ALTO_DEVICES).toBeUndefined();
    expect(() => loadEnv({ ALTO_DEVICES: 'gpu' })).toThrow(/ALTO_DEVICES: expected cpu, gpu:all, .* \(got 'gpu'\)/);
  });

  it('tells the runtimes it starts which devices to use', () => {
    expect(runtimeEnv(undefined)).toEqual({});
    expect(runtimeEnv(parseDevicePin('gpu:1,3'))).toEqual({
      CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
      CUDA_VISIBLE_DEVICES: '1,3',
    });
    expect(runtimeEnv(parseDevicePin('gpu:all'))).toEqual({});
    expect(runtimeEnv(parseDevicePin('cpu'))).toEqual({ CUDA_VISIBLE_DEVICES: '', JAX_PLATFORMS: 'cpu' });
    expect(runtimeEnv(parseDevicePin('tpu:2'))).toMatchObject({ CUDA_VISIBLE_DEVICES: '', TPU_VISIBLE_CHIPS: '2' });
  });
});

describe('discoverDevices', () => {
  it('reports the CPU with its model, cores and the host memory', () => {
    expect(cpu).toEqual({
      kind: 'cpu',
      model: 'AMD EPYC 7B13 64-Core Processor',
      count: 1,
      memory_bytes_per_device: 64 * 1024 * MiB,
      cores: 2,
      source: 'host',
    });
  });

  it('groups GPUs by model and memory, in index order', async () => {
    expect(await discoverDevices(undefined, { cpu, nvidiaSmi: smi(MIXED) })).toEqual([
      cpu,
      {
        kind: 'gpu',
        model: 'NVIDIA GeForce RTX 4090',
        count: 2,
        memory_bytes_per_device: 24564 * MiB,
        ids: [0, 2],
        source: 'nvidia-smi',
      },
      {
        kind: 'gpu',
        model: 'NVIDIA GeForce RTX 3090',
        count: 1,
        memory_bytes_per_device: 24576 * MiB,
        ids: [1],
        source: 'nvidia-smi',
      },
    ]);
  });

  it('reports only the CPU without nvidia-smi, or when pinned to the CPU or to TPUs', async () => {
    expect(await discoverDevices(undefined, { cpu, nvidiaSmi: smi(undefined) })).toEqual([cpu]);
    const never = () => Promise.reject(new Error('nvidia-smi must not run'));
    expect(await discoverDevices(parseDevicePin('cpu'), { cpu, nvidiaSmi: never })).toEqual([cpu]);
    expect(await discoverDevices(parseDevicePin('tpu:all'), { cpu, nvidiaSmi: never })).toEqual([cpu]);
  });

  it('reports only the pinned GPUs', async () => {
    const devices = await discoverDevices(parseDevicePin('gpu:1'), { cpu, nvidiaSmi: smi(H200x2) });
    expect(devices[1]).toMatchObject({ kind: 'gpu', model: 'NVIDIA H200', count: 1, ids: [1] });
    expect(devices).toHaveLength(2);
  });

  it('stops with the variable named when the pinned GPUs are not there', async () => {
    const pin = parseDevicePin('gpu:0,5');
    await expect(discoverDevices(pin, { cpu, nvidiaSmi: smi(H200x2) })).rejects.toThrow(
      new DeviceError('ALTO_DEVICES=gpu:0,5: no GPU 5; nvidia-smi lists 0, 1'),
    );
    await expect(discoverDevices(pin, { cpu, nvidiaSmi: smi(undefined) })).rejects.toThrow(
      'ALTO_DEVICES=gpu:0,5: nvidia-smi is not installed (not on PATH), so no GPU can be found',
    );
    const broken = () =>
      Promise.reject(new Error("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."));
    await expect(discoverDevices(parseDevicePin('gpu:all'), { cpu, nvidiaSmi: broken })).rejects.toThrow(
      "ALTO_DEVICES=gpu:all: nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate",
    );
    const warnings: string[] = [];
    expect(await discoverDevices(undefined, { cpu, nvidiaSmi: broken, warn: (w) => warnings.push(w) })).toEqual([cpu]);
    expect(warnings).toEqual([expect.stringMatching(/^nvidia-smi failed: .*; reporting no GPU$/)]);
    expect(
      await discoverDevices(undefined, { cpu, nvidiaSmi: smi('garbage\n'), warn: (w) => warnings.push(w) }),
    ).toEqual([cpu]);
    expect(warnings[1]).toBe(
      "nvidia-smi: expected 'index, name, memory.total, memory.used', got 'garbage'; reporting no GPU",
    );
  });
});

describe('mergeRuntimeDevices', () => {
  // An XLA runtime's `devices` reply on one H200 with JAX's default 75% preallocation.
  const reserved = Math.floor(143771 * MiB * 0.75);
  const gpuReply: RuntimeDevices = {
    kind: 'gpu',
    model: 'NVIDIA H200',
    count: 1,
    memory_bytes_per_device: reserved,
    devices: [{ id: 0, kind: 'gpu', model: 'NVIDIA H200', memory_bytes: reserved, memory_source: 'pjrt' }],
  };

  it("replaces the discovered GPUs with the runtime's, keeping nvidia-smi's indices", async () => {
    const discovered = await discoverDevices(parseDevicePin('gpu:1'), { cpu, nvidiaSmi: smi(H200x2) });
    expect(mergeRuntimeDevices(discovered, gpuReply)).toEqual([
      cpu,
      { kind: 'gpu', model: 'NVIDIA H200', count: 1, memory_bytes_per_device: reserved, ids: [1], source: 'runtime' },
    ]);
  });

  it('adds TPUs, and keeps the discovered memory where the runtime has none', () => {
    const tpu: RuntimeDevices = {
      kind: 'tpu',
      model: 'TPU v5 lite',
      count: 4,
      memory_bytes_per_device: 16 * 1024 * MiB,
    };
    expect(mergeRuntimeDevices([cpu], tpu)).toEqual([
      cpu,
      {
        kind: 'tpu',
        model: 'TPU v5 lite',
        count: 4,
        memory_bytes_per_device: 16 * 1024 * MiB,
        ids: [0, 1, 2, 3],
        source: 'runtime',
      },
    ]);
    const gpus = [
      cpu,
      { kind: 'gpu', model: 'NVIDIA L4', count: 1, memory_bytes_per_device: 23034 * MiB, ids: [0] } as Device,
    ];
    const unknown: RuntimeDevices = {
      ...gpuReply,
      model: 'NVIDIA L4',
      memory_bytes_per_device: null,
      devices: undefined,
    };
    expect(mergeRuntimeDevices(gpus, unknown)[1]).toMatchObject({
      memory_bytes_per_device: 23034 * MiB,
      source: 'runtime',
    });
  });

  it('adds nothing for a runtime on the CPU', () => {
    const onCpu: RuntimeDevices = { kind: 'cpu', model: 'x', count: 1, memory_bytes_per_device: 1 };
    expect(mergeRuntimeDevices([cpu], onCpu)).toEqual([cpu]);
  });
});
