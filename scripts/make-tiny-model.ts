// Generates the `tiny` demo model: a 2-layer MLP, x FP32 [batch,64] → Gemm(64→32) → Relu →
// Gemm(32→10) → y FP32 [batch,10], weights from a fixed-seed PRNG. It exists to measure
// serving overhead, not to predict anything.
// Run: node --import tsx scripts/make-tiny-model.ts [out path]  (default models/tiny/1/model.onnx)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeModel, withExternalData, type Graph } from './onnx-writer.ts';

export const SEED = 42;
export const [IN, HIDDEN, OUT] = [64, 32, 10];

/** mulberry32: a small deterministic PRNG, uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TinyWeights {
  /** [IN, HIDDEN] row-major: w1[i * HIDDEN + j] weighs input i into hidden unit j. */
  w1: Float32Array;
  b1: Float32Array;
  /** [HIDDEN, OUT] row-major. */
  w2: Float32Array;
  b2: Float32Array;
}

export function tinyWeights(): TinyWeights {
  const rand = mulberry32(SEED);
  // Uniform in ±1/sqrt(fan_in), as common initialisers do, so activations stay O(1).
  const fill = (n: number, fanIn: number) =>
    Float32Array.from({ length: n }, () => (rand() * 2 - 1) / Math.sqrt(fanIn));
  return { w1: fill(IN * HIDDEN, IN), b1: fill(HIDDEN, IN), w2: fill(HIDDEN * OUT, HIDDEN), b2: fill(OUT, HIDDEN) };
}

/** The model computed in plain TypeScript from the same weights: the reference its served forms are held to. */
export function tinyForward(x: Float32Array, rows: number): Float32Array {
  const { w1, b1, w2, b2 } = tinyWeights();
  const y = new Float32Array(rows * OUT);
  for (let r = 0; r < rows; r++) {
    const h = Array.from({ length: HIDDEN }, (_, j) => {
      let s = b1[j]!;
      for (let i = 0; i < IN; i++) s += x[r * IN + i]! * w1[i * HIDDEN + j]!;
      return Math.max(0, s);
    });
    for (let k = 0; k < OUT; k++) {
      let s = b2[k]!;
      for (let j = 0; j < HIDDEN; j++) s += h[j]! * w2[j * OUT + k]!;
      y[r * OUT + k] = s;
    }
  }
  return y;
}

export function tinyGraph(): Graph {
  const w = tinyWeights();
  return {
    name: 'tiny',
    nodes: [
      { op: 'Gemm', name: 'fc1', inputs: ['x', 'w1', 'b1'], outputs: ['h'] },
      { op: 'Relu', name: 'relu', inputs: ['h'], outputs: ['a'] },
      { op: 'Gemm', name: 'fc2', inputs: ['a', 'w2', 'b2'], outputs: ['y'] },
    ],
    initializers: [
      { name: 'w1', dims: [IN, HIDDEN], values: w.w1 },
      { name: 'b1', dims: [HIDDEN], values: w.b1 },
      { name: 'w2', dims: [HIDDEN, OUT], values: w.w2 },
      { name: 'b2', dims: [OUT], values: w.b2 },
    ],
    inputs: [{ name: 'x', shape: ['batch', IN] }],
    outputs: [{ name: 'y', shape: ['batch', OUT] }],
  };
}

export const buildTinyModel = (): Uint8Array => encodeModel(tinyGraph());

/** The same model with its weights in the external data file `location` (written beside model.onnx). */
export function buildTinyModelExternal(location = 'weights.bin'): { model: Uint8Array; data: Uint8Array } {
  const { graph, data } = withExternalData(tinyGraph(), location);
  return { model: encodeModel(graph), data };
}

export const TINY_PATH = fileURLToPath(new URL('../models/tiny/1/model.onnx', import.meta.url));

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? TINY_PATH);
  const model = buildTinyModel();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, model);
  console.log(`wrote ${out} (${model.length} bytes)`);
}
