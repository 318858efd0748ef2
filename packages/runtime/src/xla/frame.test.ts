// The frame codec against PROTOCOL.md's own example bytes, and the stream splitter against
// frames cut at every byte boundary.
import { describe, expect, it } from 'vitest';
import { FrameError, FrameReader, decodeFrame, encodeFrame } from './frame.ts';

const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);

describe('encodeFrame', () => {
  it("writes PROTOCOL.md's ping example byte for byte", () => {
    const frame = encodeFrame({ op: 'ping', id: 1 });
    expect(frame.byteLength).toBe(41);
    expect([...frame.subarray(0, 8)]).toEqual([0x25, 0, 0, 0, 0x21, 0, 0, 0]);
    expect(frame.subarray(8).toString()).toBe('{"op":"ping","id":1,"tensors":[]}');
  });

  it("writes PROTOCOL.md's run example: the header, then the tensor's raw little-endian bytes", () => {
    const frame = encodeFrame({ op: 'run', id: 2, model: 'tiny-xla', version: '1' }, [
      { name: 'x', dtype: 'FP32', shape: [1, 2], data: f32(1, 2) },
    ]);
    expect(frame.readUInt32LE(0)).toBe(0x8c);
    expect(frame.readUInt32LE(4)).toBe(0x80);
    expect(frame.subarray(8, 8 + 0x80).toString()).toBe(
      '{"op":"run","id":2,"model":"tiny-xla","version":"1","tensors":[{"name":"x","dtype":"FP32","shape":[1,2],"offset":0,"nbytes":8}]}',
    );
    expect([...frame.subarray(8 + 0x80)]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
  });

  it('refuses a tensor whose bytes do not match its shape and dtype', () => {
    expect(() => encodeFrame({ op: 'run' }, [{ name: 'x', dtype: 'FP32', shape: [2, 2], data: f32(1) }])).toThrow(
      "tensor 'x': FP32 [2,2] needs 16 bytes, got 4",
    );
  });
});

describe('decodeFrame', () => {
  it('reads back what encodeFrame wrote, tensors in order with their bytes', () => {
    const frame = encodeFrame({ op: 'run', ok: true }, [
      { name: 'a', dtype: 'INT64', shape: [2], data: new Uint8Array(new BigInt64Array([1n, -2n]).buffer) },
      { name: 'b', dtype: 'FP32', shape: [], data: f32(0.5) },
      { name: 'c', dtype: 'BOOL', shape: [0, 3], data: new Uint8Array(0) },
    ]);
    const { header, tensors } = decodeFrame(frame.subarray(4));
    expect(header).toMatchObject({ op: 'run', ok: true });
    expect(tensors.map((t) => [t.name, t.dtype, t.shape, t.data.byteLength])).toEqual([
      ['a', 'INT64', [2], 16],
      ['b', 'FP32', [], 4],
      ['c', 'BOOL', [0, 3], 0],
    ]);
    const a = tensors[0]!.data;
    expect(new BigInt64Array(a.slice().buffer)).toEqual(new BigInt64Array([1n, -2n]));
    expect(new Float32Array(tensors[1]!.data.slice().buffer)[0]).toBe(0.5);
  });

  const body = (header: unknown, data = new Uint8Array(0)) => {
    const head = Buffer.from(JSON.stringify(header));
    const b = Buffer.alloc(4 + head.byteLength + data.byteLength);
    b.writeUInt32LE(head.byteLength, 0);
    head.copy(b, 4);
    b.set(data, 4 + head.byteLength);
    return b;
  };

  it('names the tensor and both sides when its bytes lie outside the frame', () => {
    const entry = { name: 'x', dtype: 'FP32', shape: [2], offset: 4, nbytes: 8 };
    expect(() => decodeFrame(body({ tensors: [entry] }, f32(1, 2)))).toThrow(
      "tensor 0 ('x'): bytes 4..12 lie outside the frame's 8 data bytes",
    );
  });

  it('rejects an nbytes that disagrees with the shape, an unknown dtype and a non-object header', () => {
    expect(() =>
      decodeFrame(body({ tensors: [{ name: 'x', dtype: 'FP32', shape: [2], offset: 0, nbytes: 4 }] }, f32(1, 2))),
    ).toThrow('nbytes 4, but FP32 [2] takes 8');
    expect(() =>
      decodeFrame(body({ tensors: [{ name: 'x', dtype: 'F32', shape: [1], offset: 0, nbytes: 4 }] }, f32(1))),
    ).toThrow('dtype "F32" is not an Alto datatype');
    expect(() => decodeFrame(body([1, 2]))).toThrow(FrameError);
    expect(() => decodeFrame(Buffer.from([200, 0, 0, 0, 1]))).toThrow('header length 200 exceeds');
  });
});

describe('FrameReader', () => {
  it('yields the same frames however the stream is cut', () => {
    const stream = Buffer.concat([
      encodeFrame({ op: 'ping', id: 1 }),
      encodeFrame({ op: 'run', id: 2 }, [{ name: 'x', dtype: 'FP32', shape: [3], data: f32(1, 2, 3) }]),
      encodeFrame({ op: 'ping', id: 3 }),
    ]);
    for (let cut = 1; cut < stream.byteLength; cut++) {
      const reader = new FrameReader();
      const frames = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
      expect(frames.map((f) => f.header.id)).toEqual([1, 2, 3]);
      expect([...new Float32Array(frames[1]!.tensors[0]!.data.slice().buffer)]).toEqual([1, 2, 3]);
      expect(reader.pending).toBe(0);
    }
  });

  it('throws on a length prefix above its limit, before buffering the frame', () => {
    const reader = new FrameReader(16);
    expect(() => reader.push(encodeFrame({ op: 'ping', id: 1 }))).toThrow('frame of 37 bytes exceeds the limit of 16');
  });
});
