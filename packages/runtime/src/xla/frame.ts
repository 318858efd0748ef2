// The XLA runtime's wire format (runtimes/xla/PROTOCOL.md): a u32 little-endian length, then
// a u32 header length, a JSON header and the raw tensor bytes it lists. Tensors travel as
// little-endian bytes, never as JSON numbers. Pure: no sockets here (client.ts does I/O).
import { DATATYPE_INFO, isDatatype, type Datatype } from '@alto/protocol';

export interface FrameTensor {
  name: string;
  dtype: Datatype;
  shape: number[];
  /** Row-major little-endian elements; a view into the frame when decoded (copy to keep aligned). */
  data: Uint8Array;
}

export interface Frame {
  header: Record<string, unknown>;
  tensors: FrameTensor[];
}

interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  offset: number;
  nbytes: number;
}

export class FrameError extends Error {
  override readonly name = 'FrameError';
}

const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** One message: length prefix, header length, header JSON (with `tensors` filled in), tensor bytes. */
export function encodeFrame(header: Record<string, unknown>, tensors: readonly FrameTensor[] = []): Buffer {
  let offset = 0;
  const entries: TensorEntry[] = tensors.map((t) => {
    const nbytes = elements(t.shape) * DATATYPE_INFO[t.dtype].size;
    if (t.data.byteLength !== nbytes)
      throw new FrameError(
        `tensor '${t.name}': ${t.dtype} ${JSON.stringify(t.shape)} needs ${nbytes} bytes, got ${t.data.byteLength}`,
      );
    const e = { name: t.name, dtype: t.dtype, shape: t.shape, offset, nbytes };
    offset += nbytes;
    return e;
  });
  const head = Buffer.from(JSON.stringify({ ...header, tensors: entries }), 'utf8');
  const out = Buffer.allocUnsafe(8 + head.byteLength + offset);
  out.writeUInt32LE(4 + head.byteLength + offset, 0);
  out.writeUInt32LE(head.byteLength, 4);
  head.copy(out, 8);
  let at = 8 + head.byteLength;
  for (const t of tensors) {
    out.set(t.data, at);
    at += t.data.byteLength;
  }
  return out;
}

/** Decodes one frame body (the bytes after the length prefix). */
export function decodeFrame(body: Uint8Array): Frame {
  if (body.byteLength < 4) throw new FrameError(`frame of ${body.byteLength} bytes has no header length`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const headLen = view.getUint32(0, true);
  if (4 + headLen > body.byteLength)
    throw new FrameError(`header length ${headLen} exceeds the frame's ${body.byteLength - 4} bytes`);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(body.buffer, body.byteOffset + 4, headLen).toString('utf8'));
  } catch (err) {
    throw new FrameError(`header is not JSON: ${(err as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new FrameError('header is not a JSON object');
  const data = body.subarray(4 + headLen);
  const raw = (header as { tensors?: unknown }).tensors ?? [];
  if (!Array.isArray(raw)) throw new FrameError('header field tensors is not a list');
  const tensors = raw.map((e: TensorEntry, i): FrameTensor => {
    const where = `tensor ${i} ('${String(e?.name)}')`;
    if (typeof e?.name !== 'string') throw new FrameError(`${where}: name is not a string`);
    if (!isDatatype(e.dtype))
      throw new FrameError(`${where}: dtype ${JSON.stringify(e.dtype)} is not an Alto datatype`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new FrameError(`${where}: shape ${JSON.stringify(e.shape)} is not a list of dims ≥ 0`);
    const nbytes = elements(e.shape) * DATATYPE_INFO[e.dtype].size;
    if (e.nbytes !== nbytes)
      throw new FrameError(`${where}: nbytes ${e.nbytes}, but ${e.dtype} ${JSON.stringify(e.shape)} takes ${nbytes}`);
    if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset + nbytes > data.byteLength)
      throw new FrameError(
        `${where}: bytes ${e.offset}..${e.offset + nbytes} lie outside the frame's ${data.byteLength} data bytes`,
      );
    // A plain Uint8Array view: slice() copies it (a Buffer's slice would not).
    return {
      name: e.name,
      dtype: e.dtype,
      shape: e.shape,
      data: new Uint8Array(data.buffer, data.byteOffset + e.offset, nbytes),
    };
  });
  return { header: header as Record<string, unknown>, tensors };
}

/**
 * Splits a byte stream into frames: push chunks as they arrive, take whole frames out.
 * A length prefix above `maxBytes` throws (the stream is then out of step: close it).
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxBytes = 1 << 30) {}

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) return frames;
      if (this.chunks[0]!.byteLength < 4) this.chunks = [Buffer.concat(this.chunks)];
      const len = this.chunks[0]!.readUInt32LE(0);
      if (len > this.maxBytes) throw new FrameError(`frame of ${len} bytes exceeds the limit of ${this.maxBytes}`);
      if (this.buffered < 4 + len) return frames;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      frames.push(decodeFrame(all.subarray(4, 4 + len)));
      const rest = all.subarray(4 + len);
      this.chunks = rest.byteLength > 0 ? [rest] : [];
      this.buffered = rest.byteLength;
    }
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pending(): number {
    return this.buffered;
  }
}
