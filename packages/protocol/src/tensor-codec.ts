// Compact binary form of a named tensor map, as stored in Redis (stream entries and
// results): no JSON text on the hot path. Layout, all integers little-endian:
//   u16 count, then per tensor: u8 name length, name (utf-8), u8 datatype index,
//   u8 rank, rank × u32 dims, u32 byte length, bytes.
import { DATATYPES } from './datatypes.ts';
import type { Tensor } from './tensor.ts';

export type TensorMap = Map<string, Tensor>;

export function encodeTensors(tensors: TensorMap): Buffer {
  let size = 2;
  const names = new Map<string, Buffer>();
  for (const [name, t] of tensors) {
    const n = Buffer.from(name, 'utf8');
    if (n.length > 255) throw new Error(`tensor name '${name}' is longer than 255 bytes`);
    names.set(name, n);
    size += 1 + n.length + 2 + 4 * t.shape.length + 4 + t.data.byteLength;
  }
  const out = Buffer.allocUnsafe(size);
  let o = out.writeUInt16LE(tensors.size, 0);
  for (const [name, t] of tensors) {
    const n = names.get(name)!;
    o = out.writeUInt8(n.length, o);
    o += n.copy(out, o);
    o = out.writeUInt8(DATATYPES.indexOf(t.datatype), o);
    o = out.writeUInt8(t.shape.length, o);
    for (const d of t.shape) o = out.writeUInt32LE(d, o);
    o = out.writeUInt32LE(t.data.byteLength, o);
    out.set(t.data, o);
    o += t.data.byteLength;
  }
  return out;
}

/** Decodes without copying tensor bytes: each `data` is a view into `buf`. */
export function decodeTensors(buf: Buffer): TensorMap {
  const out: TensorMap = new Map();
  const count = buf.readUInt16LE(0);
  let o = 2;
  for (let i = 0; i < count; i++) {
    const nameLength = buf.readUInt8(o++);
    const name = buf.toString('utf8', o, o + nameLength);
    o += nameLength;
    const datatype = DATATYPES[buf.readUInt8(o++)];
    if (!datatype) throw new Error(`corrupt tensor record: unknown datatype at byte ${o - 1}`);
    const rank = buf.readUInt8(o++);
    const shape: number[] = [];
    for (let r = 0; r < rank; r++, o += 4) shape.push(buf.readUInt32LE(o));
    const length = buf.readUInt32LE(o);
    o += 4;
    if (o + length > buf.length) throw new Error('corrupt tensor record: truncated');
    out.set(name, { datatype, shape, data: new Uint8Array(buf.buffer, buf.byteOffset + o, length) });
    o += length;
  }
  return out;
}
