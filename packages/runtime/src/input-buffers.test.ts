// The reused batch input buffers: a buffer given back is the one taken next for its size,
// small and detached ones are not kept, and what is kept stays bounded.
import { describe, expect, it } from 'vitest';
import { giveInputBuffer, inputBuffersKept, takeInputBuffer } from './input-buffers.ts';

describe('input buffers', () => {
  it('hands a buffer given back to the next taker of its size, and a fresh one to others', () => {
    const a = new ArrayBuffer(100_000);
    new Uint8Array(a)[0] = 7;
    giveInputBuffer(a);
    expect(takeInputBuffer(100_001)).not.toBe(a);
    expect(takeInputBuffer(100_000)).toBe(a);
    expect(takeInputBuffer(100_000)).not.toBe(a);
  });

  it('keeps neither small buffers nor detached ones', () => {
    const before = inputBuffersKept().count;
    giveInputBuffer(new ArrayBuffer(1000));
    const moved = new ArrayBuffer(200_000);
    structuredClone(moved, { transfer: [moved] });
    giveInputBuffer(moved);
    expect(inputBuffersKept().count).toBe(before);
  });

  it('keeps at most eight buffers, dropping the oldest', () => {
    const given = Array.from({ length: 10 }, (_, i) => new ArrayBuffer(70_000 + i));
    for (const b of given) giveInputBuffer(b);
    expect(inputBuffersKept().count).toBe(8);
    expect(takeInputBuffer(70_000)).not.toBe(given[0]);
    expect(takeInputBuffer(70_009)).toBe(given[9]);
  });
});
