import { describe, expect, it } from 'vitest';
import { bytesStrings, encodeBytes, type Tensor } from '@alto/protocol';
import { concatInputs, planBatches, splitOutputs } from './batch.ts';

const f32 = (shape: number[], values: number[]): Tensor => ({
  datatype: 'FP32',
  shape,
  data: new Uint8Array(new Float32Array(values).buffer),
});
const item = (rows: number, width: number, start: number) => ({
  inputs: new Map([
    [
      'x',
      f32(
        [rows, width],
        Array.from({ length: rows * width }, (_, i) => start + i),
      ),
    ],
  ]),
});

describe('planBatches', () => {
  it('groups requests whose non-batch dims agree and keeps their order', () => {
    const a = item(1, 4, 0);
    const b = item(1, 8, 0);
    const c = item(2, 4, 10);
    expect(planBatches([a, b, c], 32)).toEqual([[a, c], [b]]);
  });

  it('never puts more than max rows in one group', () => {
    const items = [item(3, 2, 0), item(3, 2, 0), item(2, 2, 0), item(1, 2, 0)];
    const groups = planBatches(items, 4);
    expect(groups.map((g) => g.reduce((n, i) => n + i.inputs.get('x')!.shape[0]!, 0))).toEqual([3, 3, 3]);
  });

  it('runs every request alone for a model that does not batch', () => {
    const items = [item(1, 2, 0), item(1, 2, 0)];
    expect(planBatches(items, 0)).toEqual([[items[0]], [items[1]]]);
  });
});

describe('concatInputs and splitOutputs', () => {
  it('stacks inputs along dim 0 and splits outputs back by each request rows', () => {
    const group = [item(1, 2, 0), item(2, 2, 100)];
    const feeds = concatInputs(group);
    expect(feeds.x!.dims).toEqual([3, 2]);
    expect(Array.from(new Float32Array(feeds.x!.data))).toEqual([0, 1, 100, 101, 102, 103]);

    const out = { y: { type: 'float32' as const, dims: [3, 1], data: new Float32Array([7, 8, 9]).buffer } };
    const [first, second] = splitOutputs(out, [1, 2]);
    expect(first!.get('y')!.shape).toEqual([1, 1]);
    expect(Array.from(new Float32Array(first!.get('y')!.data.slice().buffer))).toEqual([7]);
    expect(second!.get('y')!.shape).toEqual([2, 1]);
    expect(Array.from(new Float32Array(second!.get('y')!.data.slice().buffer))).toEqual([8, 9]);
  });

  it('fails clearly when an output does not carry the batch dim', () => {
    const out = { y: { type: 'float32' as const, dims: [1], data: new Float32Array([1]).buffer } };
    expect(() => splitOutputs(out, [1, 1])).toThrow("output 'y': dim 0 is 1, expected the batch's 2 rows");
  });
});

describe('BYTES rows', () => {
  const strings = (rows: number, texts: string[]) => ({
    inputs: new Map([['s', { datatype: 'BYTES' as const, shape: [rows], data: encodeBytes(texts) }]]),
  });

  it('concatenates requests of any lengths and splits the output back by their rows', () => {
    const group = [strings(2, ['a', 'bcd']), strings(1, ['']), strings(3, ['éé', 'f', 'ghijkl'])];
    const feeds = concatInputs(group);
    expect(feeds.s!.type).toBe('string');
    expect(feeds.s!.dims).toEqual([6]);
    expect(bytesStrings(new Uint8Array(feeds.s!.data))).toEqual(['a', 'bcd', '', 'éé', 'f', 'ghijkl']);
    const out = { type: 'string' as const, dims: [6], data: feeds.s!.data };
    const maps = splitOutputs({ out }, [2, 1, 3]);
    expect(maps.map((m) => m.get('out')!.shape)).toEqual([[2], [1], [3]]);
    expect(maps.map((m) => bytesStrings(m.get('out')!.data))).toEqual([['a', 'bcd'], [''], ['éé', 'f', 'ghijkl']]);
  });
});
