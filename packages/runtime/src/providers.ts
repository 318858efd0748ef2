// Picks the ONNX Runtime build the worker process runs (the CPU build bundled with onnxruntime-node,
// or the GPU build of scripts/install-onnxruntime-gpu.sh) and checks at start that the execution
// provider can run here, so a missing library or device is one line, not a native error.
// Not a device inventory: it answers "can this provider start", nothing about memory or models.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

/** Where scripts/install-onnxruntime-gpu.sh installs, relative to the working directory. */
export const DEFAULT_GPU_BUILD_DIR = '.alto/onnxruntime-gpu';

/** The provider libraries of the GPU build, by the execution provider that needs them. */
const PROVIDER_LIBRARY: Record<string, string> = {
  cuda: 'libonnxruntime_providers_cuda.so',
  tensorrt: 'libonnxruntime_providers_tensorrt.so',
};

export const needsGpuBuild = (provider: string): boolean => provider in PROVIDER_LIBRARY;

export class ProviderUnavailableError extends Error {
  readonly code = 'provider_unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'ProviderUnavailableError';
  }
}

/** What scripts/install-onnxruntime-gpu.sh writes last, once the folder is complete. */
export interface GpuBuildManifest {
  onnxruntime: string;
  /** The core library, relative to the folder. */
  library: string;
  /** The nvidia-* wheels unpacked into `cuda/` (`name==version`), or null without --cuda. */
  cuda: string[] | null;
}

export interface OnnxRuntimeBuild {
  kind: 'bundled' | 'gpu';
  version: string;
  /** Absolute path of the GPU build's core library; absent for the bundled build. */
  library?: string;
  /** The CUDA runtime wheels loaded from the build's `cuda/` folder, if any. */
  cuda?: string[];
}

const onnxruntimeNodeVersion = (): string =>
  (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;

/** Reads and checks the install's manifest; every refusal names the folder and what to run. */
export function readManifest(dir: string, expectedVersion: string): GpuBuildManifest {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) {
    throw new ProviderUnavailableError(
      `ONNX Runtime's GPU build is not installed in ${dir} (no manifest.json): run scripts/install-onnxruntime-gpu.sh`,
    );
  }
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as GpuBuildManifest;
  if (manifest.onnxruntime !== expectedVersion) {
    throw new ProviderUnavailableError(
      `the GPU build in ${dir} is onnxruntime ${manifest.onnxruntime}, onnxruntime-node is ${expectedVersion}: ` +
        'run scripts/install-onnxruntime-gpu.sh again',
    );
  }
  return manifest;
}

// glibc's RTLD_NODELETE (node's os.constants.dlopen lacks it): a library we load must stay
// loaded after node gives up on it as an addon (below).
const RTLD_NODELETE = 0x1000;

/**
 * dlopen through node: a plain shared library loads, then node refuses it as an addon ("did not
 * self-register"); with RTLD_NODELETE it stays in the process. Returns dlerror's text, or
 * undefined when the library is loaded.
 */
export function dlopen(path: string, global = false): string | undefined {
  const flags = constants.dlopen.RTLD_NOW! | RTLD_NODELETE | (global ? constants.dlopen.RTLD_GLOBAL! : 0);
  try {
    process.dlopen({ exports: {} }, path, flags);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return /did not self-register/.test(message) ? undefined : message;
  }
  return undefined;
}

/**
 * Loads `libraries` whatever their order: a library whose dependency is not loaded yet fails
 * and is tried again after the others. Returns the first error of a library that never loads.
 */
export function loadAll(libraries: string[], open: (path: string) => string | undefined = dlopen): string | undefined {
  let pending = libraries;
  for (;;) {
    const failed = pending.map((path) => ({ path, error: open(path) })).filter((r) => r.error !== undefined);
    if (failed.length === 0) return undefined;
    if (failed.length === pending.length) return failed[0]!.error;
    pending = failed.map((r) => r.path);
  }
}

/** Paths of the ONNX Runtime core libraries mapped into this process (Linux). */
export function mappedOnnxRuntime(maps = '/proc/self/maps'): string[] {
  if (!existsSync(maps)) return [];
  const paths = readFileSync(maps, 'utf8')
    .split('\n')
    .map((line) => line.slice(line.indexOf('/')))
    .filter((p) => p.startsWith('/') && basename(p).startsWith('libonnxruntime.so'));
  return [...new Set(paths)];
}

/** True when the NVIDIA driver sees a GPU: a /dev/nvidia<N> node or an entry of /proc/driver/nvidia/gpus. */
export function hasNvidiaDevice(root = '/'): boolean {
  const list = (p: string) => (existsSync(join(root, p)) ? readdirSync(join(root, p)) : []);
  return list('dev').some((n) => /^nvidia\d+$/.test(n)) || list('proc/driver/nvidia/gpus').length > 0;
}

/** One line for a provider library that does not load: which library is missing and what brings it. */
export function explainLoadFailure(provider: string, library: string, dlerror: string): string {
  const missing = /([^\s:/]+\.so[.\d]*): cannot open shared object file/.exec(dlerror)?.[1];
  const head = `execution provider '${provider}' cannot start`;
  if (!missing) return `${head}: ${library} does not load: ${dlerror.split('\n')[0]}`;
  let why: string;
  if (missing === 'libcuda.so.1') {
    why =
      "the NVIDIA driver's library: this machine has no NVIDIA driver (no GPU, or a container without the NVIDIA runtime)";
  } else if (/^lib(nvinfer|nvonnxparser)/.test(missing)) {
    why = 'part of TensorRT 10, which the install script does not bring: use an image or machine with TensorRT';
  } else if (/^libcudnn/.test(missing)) {
    why = 'part of cuDNN 9: run scripts/install-onnxruntime-gpu.sh --cuda, or use a CUDA + cuDNN 9 image';
  } else {
    why = 'part of the CUDA runtime: run scripts/install-onnxruntime-gpu.sh --cuda, or use a CUDA + cuDNN 9 image';
  }
  return `${head}: ${missing} is missing (needed by ${library}; ${why})`;
}

let build: OnnxRuntimeBuild | undefined;
const ready = new Set<string>(['cpu']);

export interface PrepareOnnxRuntimeOptions {
  /** The worker's execution provider. */
  provider: string;
  /**
   * Folder of the GPU build (scripts/install-onnxruntime-gpu.sh). When set, the worker runs that
   * build whatever the provider. @default '.alto/onnxruntime-gpu' for cuda and tensorrt, else the bundled CPU build
   */
  dir?: string;
}

/**
 * Call once at start, before any inference thread loads onnxruntime-node: loads the GPU build
 * when asked (its core library takes the SONAME the binding links against, so the binding binds
 * to it, not to the bundled copy next to it) and checks the provider. Throws
 * ProviderUnavailableError with one line.
 */
export function prepareOnnxRuntime(options: PrepareOnnxRuntimeOptions): OnnxRuntimeBuild {
  const version = onnxruntimeNodeVersion();
  const dir = options.dir ?? (needsGpuBuild(options.provider) ? DEFAULT_GPU_BUILD_DIR : undefined);
  if (dir === undefined) {
    build ??= { kind: 'bundled', version };
  } else if (build === undefined) {
    const abs = resolve(dir);
    const manifest = readManifest(abs, version);
    const library = join(abs, manifest.library);
    const other = mappedOnnxRuntime().filter((p) => dirname(p) !== dirname(library));
    if (other.length > 0) {
      throw new ProviderUnavailableError(`onnxruntime was loaded from ${other[0]} before the GPU build in ${abs}`);
    }
    if (manifest.cuda) {
      const cudaDir = join(abs, 'cuda');
      // Only the libraries others link against; cuDNN opens its own parts from its folder.
      const libs = readdirSync(cudaDir).filter((n) =>
        /^lib(cudart|cublas|cublasLt|curand|cufft|nvrtc|nvJitLink|cudnn)\.so\.\d+$/.test(n),
      );
      const error = loadAll(libs.map((n) => join(cudaDir, n)));
      if (error) throw new ProviderUnavailableError(`the CUDA runtime in ${cudaDir} does not load: ${error}`);
    }
    const error = dlopen(library);
    if (error) throw new ProviderUnavailableError(`the GPU build's ${library} does not load: ${error}`);
    build = { kind: 'gpu', version, library, ...(manifest.cuda ? { cuda: manifest.cuda } : {}) };
  }
  assertProviderReady(options.provider);
  return build;
}

/**
 * Throws ProviderUnavailableError unless `provider` can start in this process: the GPU build is
 * loaded, its provider library and everything that library links against load, and the driver
 * sees a device. Providers this module does not know (dml, coreml, webgpu) are left to onnxruntime.
 */
export function assertProviderReady(provider: string): void {
  if (ready.has(provider) || !needsGpuBuild(provider)) return;
  if (build?.kind !== 'gpu' || build.library === undefined) {
    throw new ProviderUnavailableError(
      `execution provider '${provider}' needs ONNX Runtime's GPU build and this worker runs the bundled CPU build: ` +
        'run scripts/install-onnxruntime-gpu.sh and start the worker with ' +
        `ALTO_EXECUTION_PROVIDER=${provider} or ALTO_ONNXRUNTIME_DIR set`,
    );
  }
  const name = PROVIDER_LIBRARY[provider]!;
  // onnxruntime opens its providers from its own folder, after the shared part with RTLD_GLOBAL
  // (the providers link against its Provider_GetHost); doing the same here finds what they lack.
  const folder = dirname(build.library);
  const error = dlopen(join(folder, 'libonnxruntime_providers_shared.so'), true) ?? dlopen(join(folder, name));
  if (error) throw new ProviderUnavailableError(explainLoadFailure(provider, name, error));
  // The providers open cuDNN only when they create a session: check it now.
  const cudnn = dlopen('libcudnn.so.9');
  if (cudnn) throw new ProviderUnavailableError(explainLoadFailure(provider, name, cudnn));
  if (!hasNvidiaDevice()) {
    throw new ProviderUnavailableError(
      `execution provider '${provider}' cannot start: the NVIDIA driver is installed but sees no GPU ` +
        '(no /dev/nvidia<N>, nothing in /proc/driver/nvidia/gpus)',
    );
  }
  ready.add(provider);
}
