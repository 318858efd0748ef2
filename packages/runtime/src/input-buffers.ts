// Batch input buffers, reused: concatInputs fills one, it is transferred to the inference
// thread, and the thread hands it back with the result. A fresh buffer per batch (3.5 MB for
// 32 textdir rows) costs page faults where it is filled and, on the inference thread, GCs
// forced by external memory between batches. Process-wide, bounded: the most recent buffers,
// at most KEEP of them and MAX_BYTES in all; small ones are not worth keeping.
const MIN_BYTES = 64 * 1024;
const KEEP = 8;
const MAX_BYTES = 64 * 1024 * 1024;

/** Oldest first. */
const kept: ArrayBuffer[] = [];
let keptBytes = 0;

/** A buffer of exactly `byteLength` bytes, not zeroed when reused: the caller fills all of it. */
export function takeInputBuffer(byteLength: number): ArrayBuffer {
  for (let i = kept.length - 1; i >= 0; i--) {
    if (kept[i]!.byteLength !== byteLength) continue;
    keptBytes -= byteLength;
    return kept.splice(i, 1)[0]!;
  }
  return new ArrayBuffer(byteLength);
}

/** Keeps a buffer nobody else holds for a later takeInputBuffer. A detached one has no bytes and is ignored. */
export function giveInputBuffer(buffer: ArrayBuffer): void {
  if (buffer.byteLength < MIN_BYTES || buffer.byteLength > MAX_BYTES) return;
  kept.push(buffer);
  keptBytes += buffer.byteLength;
  while (kept.length > KEEP || keptBytes > MAX_BYTES) keptBytes -= kept.shift()!.byteLength;
}

/** Buffers kept now and their bytes (tests, metrics). */
export const inputBuffersKept = (): { count: number; bytes: number } => ({ count: kept.length, bytes: keptBytes });
