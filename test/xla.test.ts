// XLA models served end to end: gateway → Redis → worker → the worker's XLA runtime process
// (real JAX on the CPU). tiny-xla is checked against a direct onnxruntime run of the ONNX
// `tiny` model, the conv demo against the export run in Python outside the server; SIGKILL
// of the runtime under steady load loses no accepted request.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayFleet, startWorker, type Proc } from './support/fleet.ts';
import { expectClose, getJson, postJson, randomFloats } from './support/http.ts';
import { runDirect } from './support/ort.ts';
import { waitFor } from './support/wait.ts';
import { XLA_INSTALL_TIMEOUT_MS, xlaModelDir, xlaPython } from './support/xla.ts';

const CONV_DIMS = [3, 48, 192];

/** Whether a process exists (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
const CONV_N = 3 * 48 * 192;

/** The conv export run by the runtime's model code in a Python process of its own (no server, no worker). */
function convInPython(python: string, x: Float32Array, rows: number): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'alto-conv-'));
  try {
    writeFileSync(join(dir, 'x.bin'), x);
    const script = [
      'import sys, numpy as np',
      'from pathlib import Path',
      'from alto_xla.model import LoadedModel',
      'm = LoadedModel("conv-xla", "1", Path(sys.argv[1]), buckets=[int(sys.argv[3])])',
      'x = np.fromfile(sys.argv[2] + "/x.bin", dtype="<f4").reshape(int(sys.argv[3]), 3, 48, 192)',
      'out, _ = m.run({"x": x})',
      'out["probs"].astype("<f4").tofile(sys.argv[2] + "/y.bin")',
    ].join('\n');
    execFileSync(python, ['-c', script, xlaModelDir('conv-xla'), dir, String(rows)], {
      env: { ...process.env, JAX_PLATFORMS: 'cpu' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const y = readFileSync(join(dir, 'y.bin'));
    return Array.from(new Float32Array(y.buffer, y.byteOffset, y.byteLength / 4));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('XLA models end to end', () => {
  const f = gatewayFleet('xla');
  let worker: Proc;
  let python: string;
  const submit = (model: string, body: unknown) =>
    postJson(`${f.gateway.url}/v1/models/${model}/predictions`, body, { prefer: 'wait=30' });
  const poll = (id: string) =>
    waitFor(
      async () => {
        const r = await getJson(`${f.gateway.url}/v1/predictions/${id}`);
        return r.body.status === 'succeeded' || r.body.status === 'failed' ? r : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 100, what: `prediction ${id} to finish` },
    );

  beforeAll(async () => {
    python = xlaPython();
    worker = await startWorker(f.redisUrl, f.prefix, {
      ALTO_MODELS: 'tiny-xla,conv-xla',
      ALTO_XLA_RUNTIME: 'auto',
      ALTO_XLA_VENV: dirname(dirname(python)),
      ALTO_HEARTBEAT_MS: '300',
    });
    f.procs.push(worker);
  }, XLA_INSTALL_TIMEOUT_MS);

  it('lists the XLA models with platform xla and the export’s inputs and outputs', async () => {
    const r = await getJson(`${f.gateway.url}/v1/models/tiny-xla`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      name: 'tiny-xla',
      platform: 'xla',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 64] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 10] }],
    });
  });

  it('logs the compile time of every bucket when the model loads', () => {
    const line = worker
      .output()
      .split('\n')
      .find((l) => l.includes('"XLA model compiled"') && l.includes('"tiny-xla"'));
    expect(line).toBeDefined();
    const logged = JSON.parse(line!) as { buckets: number[]; compile_ms: Record<string, number> };
    expect(Object.keys(logged.compile_ms).map(Number)).toEqual(logged.buckets);
  });

  it('tiny-xla answers a JSON body as the ONNX tiny model computes it, within 1e-5', async () => {
    const x = randomFloats(3 * 64, 31);
    const r = await submit('tiny-xla', { input: { x: { datatype: 'FP32', shape: [3, 64], data: Array.from(x) } } });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('succeeded');
    expect(r.body.output.y.shape).toEqual([3, 10]);
    expectClose(r.body.output.y.data, (await runDirect('tiny', 'x', x, [3, 64])).data, 1e-5);
  });

  it('tiny-xla answers a binary body (JSON header + raw tensor bytes) as the ONNX tiny model computes it', async () => {
    const x = randomFloats(64, 32);
    const header = Buffer.from(
      JSON.stringify({ input: { x: { datatype: 'FP32', shape: [1, 64], binary_data_size: x.byteLength } } }),
    );
    const res = await fetch(`${f.gateway.url}/v1/models/tiny-xla/predictions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(header.length),
        prefer: 'wait=30',
      },
      body: Buffer.concat([header, Buffer.from(x.buffer)]),
    });
    expect(res.status).toBe(200);
    const p = (await res.json()) as { status: string; output: { y: { data: number[] } } };
    expect(p.status).toBe('succeeded');
    expectClose(p.output.y.data, (await runDirect('tiny', 'x', x, [1, 64])).data, 1e-5);
  });

  it('the conv demo answers as its export computes outside the server, within 1e-5', async () => {
    const x = randomFloats(2 * CONV_N, 33);
    const r = await submit('conv-xla', {
      input: { x: { datatype: 'FP32', shape: [2, ...CONV_DIMS], data: Array.from(x) } },
    });
    expect(r.body.status).toBe('succeeded');
    expect(r.body.output.probs.shape).toEqual([2, 2]);
    expectClose(r.body.output.probs.data, convInPython(python, x, 2), 1e-5);
  }, 120_000);

  it('rejects an input of the wrong shape with a 4xx naming the field and both shapes', async () => {
    const r = await submit('tiny-xla', { input: { x: { datatype: 'FP32', shape: [1, 63], data: Array(63).fill(0) } } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/x.*\[-1,64\].*\[1,63\]/);
  });

  it('loses no accepted request when the runtime is SIGKILLed under steady load; the runtime restarts', async () => {
    const pidOf = () =>
      [...worker.output().matchAll(/[^\n]*"XLA runtime ready"[^\n]*/g)]
        .map((m) => Number(/"runtime_pid":(\d+)/.exec(m[0])?.[1]))
        .filter(Boolean);
    const before = pidOf();
    expect(before.length).toBeGreaterThan(0);
    const victim = before[before.length - 1]!;

    const accepted: { id: string; x: Float32Array }[] = [];
    let stop = false;
    // Closed-loop clients: each waits for its answer (or 5 s) before the next request.
    const client = async (c: number) => {
      for (let i = 0; !stop; i++) {
        const x = randomFloats(64, 10_000 * c + i);
        const r = await postJson(
          `${f.gateway.url}/v1/models/tiny-xla/predictions`,
          { input: { x: { datatype: 'FP32', shape: [1, 64], data: Array.from(x) } } },
          { prefer: 'wait=5' },
        );
        if (r.status !== 200 && r.status !== 202)
          throw new Error(`not accepted: ${r.status} ${JSON.stringify(r.body)}`);
        accepted.push({ id: r.body.id as string, x });
      }
    };
    const clients = Array.from({ length: 6 }, (_, c) => client(c));
    try {
      await waitFor(() => accepted.length >= 30, { what: '30 accepted requests' });
      process.kill(victim, 'SIGKILL');
      await waitFor(() => pidOf().some((p) => p !== victim && !before.includes(p)), {
        timeoutMs: 120_000,
        what: 'the restarted runtime',
      }).catch((err: Error) => {
        throw new Error(
          `${err.message}; the worker's last lines:\n${worker.output().split('\n').slice(-25).join('\n')}`,
        );
      });
      const afterRestart = accepted.length;
      await waitFor(() => accepted.length >= afterRestart + 30, {
        timeoutMs: 60_000,
        what: '30 more accepted requests',
      });
    } finally {
      stop = true;
    }
    await Promise.all(clients);

    for (const { id, x } of accepted) {
      const p = (await poll(id)).body;
      expect(p.status, `${id}: ${JSON.stringify(p.error)}`).toBe('succeeded');
      expectClose(p.output.y.data, (await runDirect('tiny', 'x', x, [1, 64])).data, 1e-5);
    }
    expect(worker.output()).toContain('XLA runtime exited; restarting it');
  }, 240_000);

  it('the runtime exits when its worker is SIGKILLed, leaving no orphan behind', async () => {
    const pids = [...worker.output().matchAll(/"runtime_pid":(\d+)[^\n]*"XLA runtime ready"/g)]
      .map((m) => Number(m[1]))
      .filter(Boolean);
    const runtime = pids[pids.length - 1]!;
    expect(alive(runtime)).toBe(true);
    await worker.kill('SIGKILL');
    await waitFor(() => !alive(runtime), { timeoutMs: 10_000, what: `runtime ${runtime} to exit` });
  });
});
