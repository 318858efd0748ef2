import { describe, expect, it } from 'vitest';
import { formatBytes, parseBytes } from './bytes.ts';

describe('parseBytes', () => {
  it.each([
    ['1073741824', 1073741824],
    ['0', 0],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['1.5 GiB', 1.5 * 2 ** 30],
    ['512MiB', 512 * 2 ** 20],
    ['512mib', 512 * 2 ** 20],
    ['2GB', 2e9],
    ['2G', 2e9],
    ['100k', 100_000],
    ['4Ki', 4096],
    ['1TiB', 2 ** 40],
    ['1.3MiB', Math.round(1.3 * 2 ** 20)],
    ['.5KiB', 512],
    ['7B', 7],
  ])('reads %s as %d bytes', (raw, bytes) => {
    expect(parseBytes(raw)).toBe(bytes);
  });

  it.each(['', 'GiB', '1.5', '-1', '1.5XB', '1,5GiB', '1e9', '2 GiB extra'])(
    'refuses %j, naming the flag and the value',
    (raw) => {
      expect(() => parseBytes(raw, '--memory')).toThrow(
        new RegExp(`^--memory: .*'${raw.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`),
      );
    },
  );

  it('refuses sizes beyond exact integers', () => {
    expect(() => parseBytes('99999999TiB', '--memory')).toThrow("--memory: '99999999TiB' is too large");
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [1.5 * 2 ** 30, '1.5 GiB'],
    [16 * 2 ** 30, '16 GiB'],
    [300 * 2 ** 20, '300 MiB'],
    [-1, '-'],
  ])('writes %d as %s', (n, s) => {
    expect(formatBytes(n)).toBe(s);
  });
});
