import { describe, expect, it } from 'vitest';
import { ModelSpecSchema, PublishRequestSchema, UpdateRequestSchema, WorkerReportSchema } from './schemas.ts';

const problems = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

describe('constraints with a closed set of values', () => {
  it('accept accelerator cpu|gpu|tpu and runtime onnx|xla, and any other key', () => {
    const r = PublishRequestSchema.parse({
      name: 'm',
      uri: '/m',
      constraints: { accelerator: 'tpu', runtime: 'xla', zone: 'b' },
    });
    expect(r.constraints).toEqual({ accelerator: 'tpu', runtime: 'xla', zone: 'b' });
  });

  it('refuse other values, naming the field, the allowed values and the value given', () => {
    const publish = PublishRequestSchema.safeParse({ name: 'm', uri: '/m', constraints: { accelerator: 'fpga' } });
    expect(problems(publish)).toEqual(["constraints.accelerator: expected one of cpu, gpu, tpu, got 'fpga'"]);
    const update = UpdateRequestSchema.safeParse({ constraints: { runtime: 'tensorflow' } });
    expect(problems(update)).toEqual(["constraints.runtime: expected one of onnx, xla, got 'tensorflow'"]);
  });

  it('still read a stored spec whose constraint predates the closed set', () => {
    const spec = { name: 'm', uri: '/m', constraints: { accelerator: 'a100' }, created_at: 1, updated_at: 1 };
    expect(ModelSpecSchema.parse(spec).constraints).toEqual({ accelerator: 'a100' });
  });
});

describe('worker reports', () => {
  const report = {
    id: 'w1',
    host: 'h',
    accelerator: 'cpu',
    memory_bytes: 1024,
    tags: {},
    state: 'running',
    inflight: 0,
    started_at: 1,
    seen: 2,
    cached: [],
    models: [],
  };

  it('parse without devices, as workers older than device discovery write them', () => {
    expect(WorkerReportSchema.parse(report).devices).toBeUndefined();
  });

  it('carry devices by kind, model, count and memory per device', () => {
    const devices = [{ kind: 'gpu', model: 'NVIDIA H200', count: 2, memory_bytes_per_device: 150_754_820_096 }];
    expect(WorkerReportSchema.parse({ ...report, devices }).devices).toEqual(devices);
    const wrong = WorkerReportSchema.safeParse({ ...report, devices: [{ ...devices[0], kind: 'fpga' }] });
    expect(wrong.success).toBe(false);
  });
});
