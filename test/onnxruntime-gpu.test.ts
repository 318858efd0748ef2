// The GPU build's tests are opt-in, not in CI: TEST_ONNXRUNTIME_GPU=1 npx vitest run test/onnxruntime-gpu.test.ts
// (=cuda adds the CUDA runtime wheels). Installs ONNX Runtime's GPU build with
// scripts/install-onnxruntime-gpu.sh (a ~250 MB download once, ~1.3 GB more with cuda) and
// proves onnxruntime-node's binding runs on it: a worker on that build serves textdir on the CPU
// provider with outputs identical to the bundled CPU build's, and on a machine without a GPU
// ALTO_EXECUTION_PROVIDER=cuda stops the worker at start with one line, not a native crash.
// The last run's result is in docs/accelerators.md ("ONNX Runtime on GPU").
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT, startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { getJson, postJson, randomFloats } from './support/http.ts';
import { runDirect } from './support/ort.ts';
import { waitFor } from './support/wait.ts';

const mode = process.env.TEST_ONNXRUNTIME_GPU;
const DIR = join(ROOT, '.alto/onnxruntime-gpu');
const VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules/onnxruntime-node/package.json'), 'utf8')) as {
    version: string;
  }
).version;
const TEXTDIR_N = 3 * 48 * 192;
const hasGpu = readdirSync('/dev').some((n) => /^nvidia\d+$/.test(n)) || existsSync('/proc/driver/nvidia/gpus');

/** Runs a worker that is expected to stop on its own; resolves with its exit and its output. */
const runWorker = (env: Record<string, string>) =>
  new Promise<{ status: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/worker/src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.once('exit', (status, signal) => resolve({ status, signal, output }));
  });

// Not opt-in: needs no download.
describe('a GPU provider without the GPU build', () => {
  it('stops the worker at start with one line naming the folder and the install script', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alto-no-ort-gpu-'));
    const r = await runWorker({
      REDIS_URL: inject('redisUrl'),
      ALTO_EXECUTION_PROVIDER: 'cuda',
      ALTO_ONNXRUNTIME_DIR: dir,
      ALTO_METRICS_PORT: '0',
    });
    expect(r.signal, r.output).toBeNull();
    expect(r.status, r.output).toBe(1);
    expect(r.output).toBe(
      `alto worker: ONNX Runtime's GPU build is not installed in ${dir} (no manifest.json): run scripts/install-onnxruntime-gpu.sh\n`,
    );
  });
});

describe.skipIf(!mode)('ONNX Runtime GPU build (opt-in: TEST_ONNXRUNTIME_GPU=1|cuda)', () => {
  const redisUrl = inject('redisUrl');

  beforeAll(() => {
    const r = spawnSync('bash', ['scripts/install-onnxruntime-gpu.sh', ...(mode === 'cuda' ? ['--cuda'] : [])], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    expect(r.status, 'scripts/install-onnxruntime-gpu.sh').toBe(0);
    expect(r.stdout.trim()).toBe(DIR);
  }, 900_000);

  describe('a worker on the GPU build, CPU provider', () => {
    const prefix = testPrefix('ortgpu');
    let worker: Proc;
    let gateway: Proc & { url: string };

    beforeAll(async () => {
      worker = await startWorker(redisUrl, prefix, { ALTO_ONNXRUNTIME_DIR: DIR, ALTO_MODELS: 'textdir' });
      gateway = await startGateway(redisUrl, prefix);
    });
    afterAll(async () => {
      await Promise.all([worker?.kill(), gateway?.kill()]);
    });

    it("runs the GPU build's core library, not the copy bundled with onnxruntime-node", () => {
      const maps = readFileSync(`/proc/${worker.child.pid}/maps`, 'utf8');
      const libs = [...new Set(maps.split('\n').map((l) => l.slice(l.indexOf('/'))))].filter((p) =>
        /\/libonnxruntime\.so/.test(p),
      );
      expect(libs).toEqual([join(DIR, 'lib', `libonnxruntime.so.${VERSION}`)]);
    });

    it('serves textdir with outputs identical to a direct run on the bundled CPU build', async () => {
      const rows = [1, 2, 3];
      const inputs = rows.map((n, i) => randomFloats(n * TEXTDIR_N, 100 + i));
      const submitted = await Promise.all(
        inputs.map((x, i) =>
          postJson(`${gateway.url}/v1/models/textdir/predictions`, {
            input: { x: { datatype: 'FP32', shape: [rows[i], 3, 48, 192], data: Array.from(x) } },
          }),
        ),
      );
      for (const [i, r] of submitted.entries()) {
        expect(r.status).toBe(202);
        const done = await waitFor(
          async () => {
            const p = await getJson(`${gateway.url}/v1/predictions/${r.body.id}`);
            return ['succeeded', 'failed'].includes(p.body.status) ? p : undefined;
          },
          { what: `prediction ${r.body.id}` },
        );
        expect(done.body.status).toBe('succeeded');
        const out = done.body.output['softmax_0.tmp_0'];
        const direct = await runDirect('textdir', 'x', inputs[i]!, [rows[i]!, 3, 48, 192]);
        expect(out.shape).toEqual(direct.dims);
        // Bit for bit: float32 values survive JSON exactly, and both builds run the same kernels.
        expect(out.data).toEqual(direct.data);
      }
    });
  });

  describe.skipIf(hasGpu)('on a machine without a GPU', () => {
    for (const provider of ['cuda', 'tensorrt']) {
      it(`ALTO_EXECUTION_PROVIDER=${provider} stops the worker at start with one line naming what is missing`, async () => {
        const r = await runWorker({ REDIS_URL: redisUrl, ALTO_EXECUTION_PROVIDER: provider, ALTO_METRICS_PORT: '0' });
        expect(r.signal, r.output).toBeNull();
        expect(r.status, r.output).toBe(1);
        const lines = r.output.trim().split('\n');
        expect(lines, r.output).toHaveLength(1);
        expect(lines[0]).toMatch(
          new RegExp(
            `^alto worker: execution provider '${provider}' cannot start: (lib\\S+\\.so\\.\\d+ is missing|.*sees no GPU)`,
          ),
        );
        if (mode === 'cuda' && provider === 'cuda') {
          // With the CUDA runtime installed, what is left is the driver.
          expect(lines[0]).toContain(
            "libcuda.so.1 is missing (needed by libonnxruntime_providers_cuda.so; the NVIDIA driver's",
          );
        }
      });
    }
  });
});
