// How far V8 lets the old generation grow past what survived the last full collection
// before it runs another. Gateways and workers make large, short-lived strings and buffers
// per request (a 147 KB base64 body is a 147 KB string twice over); with V8's own factor
// (about 1.1–2× a ~30 MB live heap) that meant a mark-compact every 20–40 textdir requests
// at concurrency 1, 4–12 ms each, which was most of the p99 (docs/benchmarks.md).
import { setFlagsFromString } from 'node:v8';
import { nonNegativeInt } from './fields.ts';

/**
 * `ALTO_HEAP_GROWING_PERCENT`: the old generation may grow to (1 + p/100) × its live size
 * before the next full collection; 0 leaves V8's own heuristic.
 */
export const heapGrowingPercent = nonNegativeInt(400);

/** The V8 flag for `percent`, or undefined for 0 (V8's own). */
export function heapGrowingFlag(percent: number): string | undefined {
  return percent > 0 ? `--heap-growing-percent=${percent}` : undefined;
}

/**
 * Applies `percent` to this process (every thread: V8's flags are per process). V8 reads the
 * flag each time it sets the next collection's limit, so it takes effect from the next one.
 */
export function applyHeapGrowing(percent: number): void {
  const flag = heapGrowingFlag(percent);
  if (flag) setFlagsFromString(flag);
}
