// CRC-32C (Castagnoli), as GCS reports it: metadata `crc32c` is the base64 of the checksum's
// four bytes in big-endian order. Table-driven, processing 8 bytes per step ("slice-by-8").
// No dependency: Node's zlib.crc32 is the other polynomial (IEEE).

const POLY = 0x82f63b78; // reversed 0x1EDC6F41
const T = new Uint32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[n] = c >>> 0;
}
for (let n = 0; n < 256; n++) {
  for (let t = 1; t < 8; t++) T[t * 256 + n] = (T[(t - 1) * 256 + n]! >>> 8) ^ T[T[(t - 1) * 256 + n]! & 0xff]!;
}

export class Crc32c {
  private crc = 0xffffffff;

  update(buf: Uint8Array): this {
    let c = this.crc;
    let i = 0;
    const end8 = buf.length - (buf.length % 8);
    for (; i < end8; i += 8) {
      const lo = c ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
      c =
        T[7 * 256 + (lo & 0xff)]! ^
        T[6 * 256 + ((lo >>> 8) & 0xff)]! ^
        T[5 * 256 + ((lo >>> 16) & 0xff)]! ^
        T[4 * 256 + (lo >>> 24)]! ^
        T[3 * 256 + buf[i + 4]!]! ^
        T[2 * 256 + buf[i + 5]!]! ^
        T[256 + buf[i + 6]!]! ^
        T[buf[i + 7]!]!;
    }
    for (; i < buf.length; i++) c = T[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
    this.crc = c >>> 0;
    return this;
  }

  /** The checksum as an unsigned 32-bit number. */
  value(): number {
    return (this.crc ^ 0xffffffff) >>> 0;
  }

  /** The checksum as GCS writes it: base64 of its big-endian bytes. */
  base64(): string {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(this.value());
    return b.toString('base64');
  }
}
