// Byte sizes as people write them (`1.5GiB`, `512MB`, `1073741824`) and as tables show them.
import { usageError } from './exit.ts';

const UNITS: Record<string, number> = {
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  ki: 2 ** 10,
  kib: 2 ** 10,
  mi: 2 ** 20,
  mib: 2 ** 20,
  gi: 2 ** 30,
  gib: 2 ** 30,
  ti: 2 ** 40,
  tib: 2 ** 40,
};

/** Bytes in `raw`; decimal units are powers of 1000, `KiB`/`MiB`/`GiB`/`TiB` of 1024. */
export function parseBytes(raw: string, what = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(raw);
  const unit = m?.[2]?.toLowerCase() ?? '';
  const scale = unit === '' ? 1 : UNITS[unit];
  if (!m || scale === undefined) {
    throw usageError(`${what}: expected bytes such as 1073741824, 512MiB or 1.5GiB, got '${raw}'`);
  }
  const bytes = Number(m[1]) * scale;
  if (scale === 1 && !Number.isInteger(bytes))
    throw usageError(`${what}: expected a whole number of bytes, got '${raw}'`);
  const rounded = Math.round(bytes);
  if (!Number.isSafeInteger(rounded)) throw usageError(`${what}: '${raw}' is too large`);
  return rounded;
}

/** `1536` → `1.5 KiB`; one decimal below 10 units, none above. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  if (i === 0) return `${bytes} B`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[i]}`;
}
