// Micro-batch assembly: requests whose non-batch dims agree are concatenated along dim 0
// into one inference, and each output is split back by the rows each request brought.
import {
  DATATYPE_INFO,
  PredictionFailure,
  bytesOffsets,
  datatypeOfOrt,
  unsplittable,
  type Tensor,
  type TensorMap,
} from '@alto/protocol';
import { takeInputBuffer } from './input-buffers.ts';
import type { RawTensor } from './thread-protocol.ts';

export interface BatchItem {
  inputs: TensorMap;
}

/** Rows a request contributes: dim 0 of its first input. */
export const rowsOf = (item: BatchItem): number => item.inputs.values().next().value?.shape[0] ?? 1;

/** Non-batch dims of every input, as a grouping key. */
function signature(item: BatchItem): string {
  let key = '';
  for (const [name, t] of item.inputs) key += `${name}:${t.datatype}:${t.shape.slice(1).join('x')};`;
  return key;
}

/**
 * Splits items into groups that can each run as one inference: same signature, at most
 * `maxRows` rows. Order within a signature is kept. With maxRows 0 (a model that does not
 * batch) every item runs alone.
 */
export function planBatches<T extends BatchItem>(items: readonly T[], maxRows: number): T[][] {
  if (maxRows <= 0) return items.map((i) => [i]);
  const open = new Map<string, { items: T[]; rows: number }>();
  const out: T[][] = [];
  for (const item of items) {
    const key = signature(item);
    const rows = rowsOf(item);
    let group = open.get(key);
    if (group && group.rows + rows > maxRows) {
      out.push(group.items);
      group = undefined;
    }
    if (!group) {
      group = { items: [], rows: 0 };
      open.set(key, group);
    }
    group.items.push(item);
    group.rows += rows;
  }
  for (const g of open.values()) out.push(g.items);
  return out;
}

/** Concatenates the group's inputs along dim 0 into transferable buffers (reused ones: input-buffers.ts). */
export function concatInputs(group: readonly BatchItem[]): Record<string, RawTensor> {
  const feeds: Record<string, RawTensor> = {};
  const first = group[0]!;
  for (const [name, t] of first.inputs) {
    const parts = group.map((item) => item.inputs.get(name)!);
    const total = parts.reduce((n, p) => n + p.data.byteLength, 0);
    const data = new Uint8Array(takeInputBuffer(total));
    let offset = 0;
    for (const p of parts) {
      data.set(p.data, offset);
      offset += p.data.byteLength;
    }
    const rows = group.length === 1 ? t.shape[0]! : parts.reduce((n, p) => n + p.shape[0]!, 0);
    feeds[name] = { type: DATATYPE_INFO[t.datatype].ort, dims: [rows, ...t.shape.slice(1)], data: data.buffer };
  }
  if (group.length === 1) {
    // A lone request runs with its own shape, batched model or not.
    for (const [name, t] of first.inputs) feeds[name]!.dims = [...t.shape];
  }
  return feeds;
}

/** Splits outputs back into one tensor map per request of the group. */
export function splitOutputs(outputs: Record<string, RawTensor>, rows: readonly number[]): TensorMap[] {
  const maps: TensorMap[] = rows.map(() => new Map());
  const total = rows.reduce((a, b) => a + b, 0);
  for (const [name, raw] of Object.entries(outputs)) {
    const datatype = datatypeOfOrt(raw.type);
    if (!datatype)
      throw new PredictionFailure('inference_failed', `output '${name}': type ${raw.type} cannot be returned`);
    const bytes = new Uint8Array(raw.data);
    if (rows.length === 1) {
      maps[0]!.set(name, { datatype, shape: raw.dims, data: bytes });
      continue;
    }
    if (raw.dims[0] !== total) throw unsplittable(name, raw.dims[0] ?? 0, total);
    if (datatype === 'BYTES') {
      splitBytes(name, raw.dims, bytes, rows, maps);
      continue;
    }
    const rowBytes = total === 0 ? 0 : bytes.byteLength / total;
    let offset = 0;
    rows.forEach((n, i) => {
      const t: Tensor = {
        datatype,
        shape: [n, ...raw.dims.slice(1)],
        data: bytes.subarray(offset, offset + n * rowBytes),
      };
      maps[i]!.set(name, t);
      offset += n * rowBytes;
    });
  }
  return maps;
}

/** BYTES rows vary in length: walk the length prefixes to cut each request's elements out. */
function splitBytes(name: string, dims: number[], bytes: Uint8Array, rows: readonly number[], maps: TensorMap[]): void {
  const offsets = bytesOffsets(bytes);
  const total = rows.reduce((a, b) => a + b, 0);
  const elements = offsets.length - 1;
  const perRow = total === 0 ? 0 : elements / total;
  if (!Number.isInteger(perRow)) {
    throw new PredictionFailure(
      'inference_failed',
      `output '${name}': ${elements} elements do not split into ${total} rows`,
    );
  }
  let row = 0;
  rows.forEach((n, i) => {
    const from = offsets[row * perRow]!;
    const to = offsets[(row + n) * perRow]!;
    maps[i]!.set(name, { datatype: 'BYTES', shape: [n, ...dims.slice(1)], data: bytes.subarray(from, to) });
    row += n;
  });
}
