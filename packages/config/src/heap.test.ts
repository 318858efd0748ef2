import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { heapGrowingFlag, heapGrowingPercent } from './heap.ts';
import { parseEnv } from './parse-env.ts';

const schema = z.object({ ALTO_HEAP_GROWING_PERCENT: heapGrowingPercent });

describe('ALTO_HEAP_GROWING_PERCENT', () => {
  it('defaults to 400 and maps to V8 flag --heap-growing-percent', () => {
    const env = parseEnv(schema, {});
    expect(env.ALTO_HEAP_GROWING_PERCENT).toBe(400);
    expect(heapGrowingFlag(env.ALTO_HEAP_GROWING_PERCENT)).toBe('--heap-growing-percent=400');
  });

  it('0 leaves V8 its own heuristic: no flag', () => {
    expect(heapGrowingFlag(parseEnv(schema, { ALTO_HEAP_GROWING_PERCENT: '0' }).ALTO_HEAP_GROWING_PERCENT)).toBe(
      undefined,
    );
  });

  it('refuses a negative or fractional value, naming the variable', () => {
    expect(() => parseEnv(schema, { ALTO_HEAP_GROWING_PERCENT: '-5' })).toThrow(/ALTO_HEAP_GROWING_PERCENT/);
    expect(() => parseEnv(schema, { ALTO_HEAP_GROWING_PERCENT: '1.5' })).toThrow(/ALTO_HEAP_GROWING_PERCENT/);
  });
});
