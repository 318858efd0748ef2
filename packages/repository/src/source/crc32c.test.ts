import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Crc32c } from './crc32c.ts';

// Bitwise reference, independent of the tables.
function slow(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('matches the published check value of "123456789" (0xE3069283)', () => {
    expect(new Crc32c().update(Buffer.from('123456789')).value()).toBe(0xe3069283);
  });

  it('matches the RFC 3720 vectors (32 zero bytes, 32 0xff bytes)', () => {
    expect(new Crc32c().update(Buffer.alloc(32, 0)).value()).toBe(0x8a9136aa);
    expect(new Crc32c().update(Buffer.alloc(32, 0xff)).value()).toBe(0x62a8ab43);
  });

  it('gives the bitwise result for any length, fed in uneven chunks', () => {
    const data = randomBytes(1000 + 7);
    const c = new Crc32c();
    for (let i = 0; i < data.length; i += 13) c.update(data.subarray(i, i + 13));
    expect(c.value()).toBe(slow(data));
    for (const n of [0, 1, 7, 8, 9, 15, 16, 17]) expect(new Crc32c().update(data.subarray(0, n)).value()).toBe(slow(data.subarray(0, n)));
  });

  it('encodes as GCS does: base64 of the big-endian bytes', () => {
    // GCS reports crc32c "yZRlqg==" for the object "hello world".
    expect(new Crc32c().update(Buffer.from('hello world')).base64()).toBe('yZRlqg==');
  });
});
