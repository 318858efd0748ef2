// Compact binary form of a named tensor map, as stored in Redis (stream entries and
// results): no JSON text on the hot path. Layout, all integers little-endian:
//   u16 count, then per tensor: u8 name length, name (utf-8), u8 datatype index,
//   u8 rank, rank × u32 dims, u32 byte length, bytes.
// A tensor by reference (tensor-ref.ts) is the byte REF in place of the datatype index, then
// the same fields, with rank UNSHAPED when its shape is not known yet and the URI's utf-8 as
// its bytes.
import { DATATYPES } from './datatypes.ts';
import type { Tensor } from './tensor.ts';

export type TensorMap = Map<string, Tensor>;

const REF = 0xff;
const UNSHAPED = 0xff;

export function encodeTensors(tensors: TensorMap): Buffer {
  let size = 2;
  const names = new Map<string, Buffer>();
  for (const [name, t] of tensors) {
    const n = Buffer.from(name, 'utf8');
    if (n.length > 255) throw new Error(`tensor name '${name}' is longer than 255 bytes`);
    names.set(name, n);
    size += t.ref
      ? 1 + n.length + 3 + 4 * (t.ref.shaped ? t.shape.length : 0) + 4 + Buffer.byteLength(t.ref.uri, 'utf8')
      : 1 + n.length + 2 + 4 * t.shape.length + 4 + t.data.byteLength;
  }
  const out = Buffer.allocUnsafe(size);
  let o = out.writeUInt16LE(tensors.size, 0);
  for (const [name, t] of tensors) {
    const n = names.get(name)!;
    o = out.writeUInt8(n.length, o);
    o += n.copy(out, o);
    if (t.ref) {
      o = encodeRef(out, o, t);
      continue;
    }
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
    if (buf.readUInt8(o) === REF) {
      const [t, next] = decodeRef(buf, o + 1);
      out.set(name, t);
      o = next;
      continue;
    }
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

function encodeRef(out: Buffer, at: number, t: Tensor): number {
  let o = out.writeUInt8(REF, at);
  o = out.writeUInt8(DATATYPES.indexOf(t.datatype), o);
  const shape = t.ref!.shaped ? t.shape : [];
  o = out.writeUInt8(t.ref!.shaped ? shape.length : UNSHAPED, o);
  for (const d of shape) o = out.writeUInt32LE(d, o);
  const length = out.write(t.ref!.uri, o + 4, 'utf8');
  o = out.writeUInt32LE(length, o);
  return o + length;
}

function decodeRef(buf: Buffer, at: number): [Tensor, number] {
  let o = at;
  const datatype = DATATYPES[buf.readUInt8(o++)];
  if (!datatype) throw new Error(`corrupt tensor record: unknown datatype at byte ${o - 1}`);
  const rank = buf.readUInt8(o++);
  const shape: number[] = [];
  for (let r = 0; rank !== UNSHAPED && r < rank; r++, o += 4) shape.push(buf.readUInt32LE(o));
  const length = buf.readUInt32LE(o);
  o += 4;
  if (o + length > buf.length) throw new Error('corrupt tensor record: truncated');
  const uri = buf.toString('utf8', o, o + length);
  return [{ datatype, shape, data: new Uint8Array(0), ref: { uri, shaped: rank !== UNSHAPED } }, o + length];
}
