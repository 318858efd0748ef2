// Server and model metadata as the Open Inference Protocol gives them (REST and gRPC alike).
import { readFileSync } from 'node:fs';
import type { ModelInfo } from '@alto/protocol';

/** What both transports support of the protocol's extensions (Triton's names). */
export const EXTENSIONS = ['binary_tensor_data'];

export const SERVER_NAME = 'alto';
/** The gateway's package version. */
export const SERVER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Platform names in the protocol's `<project>_<format>` form (Triton's for ONNX Runtime). */
const PLATFORMS: Record<ModelInfo['platform'], string> = {
  onnx: 'onnxruntime_onnx',
  xla: 'xla',
  sim: 'alto_sim',
};

export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

export function modelMetadata(m: ModelInfo): ModelMetadata {
  const tensor = (t: { name: string; datatype: string; shape: number[] }) => ({
    name: t.name,
    datatype: t.datatype,
    shape: t.shape,
  });
  return {
    name: m.name,
    versions: m.versions,
    platform: PLATFORMS[m.platform],
    inputs: m.inputs.map(tensor),
    outputs: m.outputs.map(tensor),
  };
}
