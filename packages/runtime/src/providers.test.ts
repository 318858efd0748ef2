// The start-up check's pieces that need no GPU build: the manifest, load order, the messages,
// device detection, and the refusal of a GPU provider by a worker on the bundled CPU build.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assertProviderReady,
  dlopen,
  explainLoadFailure,
  hasNvidiaDevice,
  loadAll,
  mappedOnnxRuntime,
  readManifest,
} from './providers.ts';

const temp = () => mkdtempSync(join(tmpdir(), 'alto-providers-'));

describe('readManifest', () => {
  it('names the folder and the install script when the GPU build is not there', () => {
    const dir = temp();
    expect(() => readManifest(dir, '1.30.0')).toThrow(
      `ONNX Runtime's GPU build is not installed in ${dir} (no manifest.json): run scripts/install-onnxruntime-gpu.sh`,
    );
  });

  it('refuses a build of another version than onnxruntime-node, naming both', () => {
    const dir = temp();
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ onnxruntime: '1.29.1', library: 'lib/x', cuda: null }));
    expect(() => readManifest(dir, '1.30.0')).toThrow(
      `the GPU build in ${dir} is onnxruntime 1.29.1, onnxruntime-node is 1.30.0: run scripts/install-onnxruntime-gpu.sh again`,
    );
    expect(readManifest(dir, '1.29.1').library).toBe('lib/x');
  });
});

describe('loadAll', () => {
  it('loads libraries in whatever order their dependencies allow', () => {
    const loaded: string[] = [];
    const deps: Record<string, string[]> = { cublas: ['cublasLt'], cublasLt: ['cudart'], cudart: [] };
    const open = (lib: string) => {
      const missing = deps[lib]!.find((d) => !loaded.includes(d));
      if (missing) return `${missing}: cannot open shared object file`;
      loaded.push(lib);
      return undefined;
    };
    expect(loadAll(['cublas', 'cublasLt', 'cudart'], open)).toBeUndefined();
    expect(loaded).toEqual(['cudart', 'cublasLt', 'cublas']);
  });

  it('returns the first error of libraries that never load, once the others stop making progress', () => {
    const open = (lib: string) => (lib === 'ok' ? undefined : `${lib}: nope`);
    expect(loadAll(['ok', 'a', 'b'], open)).toBe('a: nope');
  });
});

describe('dlopen', () => {
  it("returns dlerror's text for a library that is not there", () => {
    expect(dlopen('/nonexistent/libalto-missing.so')).toMatch(/libalto-missing\.so: cannot open shared object file/);
  });
});

describe('mappedOnnxRuntime', () => {
  it('lists each ONNX Runtime core library mapped into the process once', () => {
    const maps = join(temp(), 'maps');
    writeFileSync(
      maps,
      [
        '7f00-7f01 r--p 00000000 fd:01 1 /opt/ort/lib/libonnxruntime.so.1.30.0',
        '7f01-7f02 r-xp 00001000 fd:01 1 /opt/ort/lib/libonnxruntime.so.1.30.0',
        '7f02-7f03 r-xp 00000000 fd:01 2 /opt/ort/lib/libonnxruntime_providers_shared.so',
        '7f03-7f04 rw-p 00000000 00:00 0 [heap]',
      ].join('\n'),
    );
    expect(mappedOnnxRuntime(maps)).toEqual(['/opt/ort/lib/libonnxruntime.so.1.30.0']);
  });
});

describe('hasNvidiaDevice', () => {
  it('sees a GPU through /dev/nvidia<N> or /proc/driver/nvidia/gpus, not through /dev/nvidiactl alone', () => {
    const root = temp();
    mkdirSync(join(root, 'dev'));
    writeFileSync(join(root, 'dev', 'nvidiactl'), '');
    expect(hasNvidiaDevice(root)).toBe(false);
    writeFileSync(join(root, 'dev', 'nvidia0'), '');
    expect(hasNvidiaDevice(root)).toBe(true);
    const proc = temp();
    mkdirSync(join(proc, 'proc/driver/nvidia/gpus/0000:17:00.0'), { recursive: true });
    expect(hasNvidiaDevice(proc)).toBe(true);
  });
});

describe('explainLoadFailure', () => {
  const lib = 'libonnxruntime_providers_cuda.so';
  const missing = (name: string) => `${name}: cannot open shared object file: No such file or directory`;

  it('says that no NVIDIA driver is there when libcuda.so.1 is missing', () => {
    expect(explainLoadFailure('cuda', lib, missing('libcuda.so.1'))).toBe(
      "execution provider 'cuda' cannot start: libcuda.so.1 is missing (needed by libonnxruntime_providers_cuda.so; " +
        "the NVIDIA driver's library: this machine has no NVIDIA driver (no GPU, or a container without the NVIDIA runtime))",
    );
  });

  it('names the CUDA runtime, cuDNN or TensorRT library that is missing and what brings it', () => {
    expect(explainLoadFailure('cuda', lib, missing('libcublasLt.so.13'))).toMatch(
      /libcublasLt\.so\.13 is missing .*part of the CUDA runtime: run scripts\/install-onnxruntime-gpu\.sh --cuda/,
    );
    expect(explainLoadFailure('cuda', lib, missing('libcudnn.so.9'))).toMatch(/libcudnn\.so\.9 is missing .*cuDNN 9/);
    expect(explainLoadFailure('tensorrt', 'libonnxruntime_providers_tensorrt.so', missing('libnvinfer.so.10'))).toMatch(
      /^execution provider 'tensorrt' cannot start: libnvinfer\.so\.10 is missing .*TensorRT 10/,
    );
  });

  it('keeps any other loader error to its first line', () => {
    const message = explainLoadFailure('cuda', lib, `${lib}: undefined symbol: Provider_GetHost\nmore`);
    expect(message).toBe(
      `execution provider 'cuda' cannot start: ${lib} does not load: ${lib}: undefined symbol: Provider_GetHost`,
    );
  });
});

describe('assertProviderReady', () => {
  it('lets cpu and providers it does not know through', () => {
    expect(() => assertProviderReady('cpu')).not.toThrow();
    expect(() => assertProviderReady('coreml')).not.toThrow();
  });

  it('refuses cuda and tensorrt in a process running the bundled CPU build, saying what to install', () => {
    for (const provider of ['cuda', 'tensorrt']) {
      expect(() => assertProviderReady(provider)).toThrow(
        `execution provider '${provider}' needs ONNX Runtime's GPU build and this worker runs the bundled CPU build`,
      );
    }
  });
});
