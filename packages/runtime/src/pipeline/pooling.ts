// Pooling of a network's per-token output into one vector per text, and L2 normalisation.
// Pure functions over flat row-major Float32Arrays; the pipeline executor calls them.

export type PoolingMode = 'mean' | 'cls';

/**
 * Pools `hidden` [rows, seq, width] into [rows, width]: `mean` averages the tokens whose
 * attention mask is 1 (padding never counts), `cls` takes each row's first token.
 */
export function pool(
  mode: PoolingMode,
  hidden: Float32Array,
  dims: readonly [number, number, number],
  mask: ArrayLike<number | bigint>,
): Float32Array {
  const [rows, seq, width] = dims;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const base = r * seq * width;
    if (mode === 'cls') {
      out.set(hidden.subarray(base, base + width), r * width);
      continue;
    }
    // Sums in float64: a long text's tokens would lose precision summed in float32.
    const sum = new Float64Array(width);
    let kept = 0;
    for (let t = 0; t < seq; t++) {
      if (Number(mask[r * seq + t]) === 0) continue;
      kept++;
      const at = base + t * width;
      for (let k = 0; k < width; k++) sum[k]! += hidden[at + k]!;
    }
    // sentence-transformers clamps the count at 1e-9: an all-masked row pools to zeros.
    const n = Math.max(kept, 1e-9);
    for (let k = 0; k < width; k++) out[r * width + k] = sum[k]! / n;
  }
  return out;
}

/** Scales each row of `x` [rows, width] to unit L2 norm in place (a zero row stays zero). */
export function normalizeRows(x: Float32Array, width: number): Float32Array {
  for (let o = 0; o < x.length; o += width) {
    let sq = 0;
    for (let k = 0; k < width; k++) sq += x[o + k]! * x[o + k]!;
    // torch.nn.functional.normalize's eps, as sentence-transformers' Normalize layer uses.
    const norm = Math.max(Math.sqrt(sq), 1e-12);
    for (let k = 0; k < width; k++) x[o + k] = x[o + k]! / norm;
  }
  return x;
}
