// BYTES tensors: elements of any length, carried everywhere (queue records, binary bodies,
// `b64`, gRPC raw contents) in the layout of KServe's binary tensor extension: per element a
// u32 little-endian byte length, then the bytes. One layout means no conversion between the
// wire, Redis and the batcher; concatenating two tensors' bytes concatenates their elements.
import { invalidInput } from './errors.ts';

/** Size limits on BYTES inputs, checked where a request is validated. */
export interface BytesLimits {
  /** Longest element, in bytes. @default 1 MiB */
  elementMaxBytes: number;
  /** Most bytes of one tensor's elements together (length prefixes excluded). @default 16 MiB */
  totalMaxBytes: number;
}

export const DEFAULT_BYTES_LIMITS: BytesLimits = { elementMaxBytes: 1 << 20, totalMaxBytes: 16 << 20 };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether bytes are well-formed UTF-8. */
export function isUtf8(bytes: Uint8Array): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The length-prefixed layout of `elements`. */
export function encodeBytes(elements: readonly (Uint8Array | string)[]): Uint8Array {
  const parts = elements.map((e) => (typeof e === 'string' ? Buffer.from(e, 'utf8') : e));
  const out = Buffer.allocUnsafe(parts.reduce((n, p) => n + 4 + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    o = out.writeUInt32LE(p.byteLength, o);
    out.set(p, o);
    o += p.byteLength;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Byte offset of each element's length prefix, plus the end; throws a plain Error on a broken layout. */
export function bytesOffsets(data: Uint8Array): number[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const offsets: number[] = [];
  let o = 0;
  while (o < data.byteLength) {
    if (o + 4 > data.byteLength) throw new Error(`BYTES layout: ${data.byteLength - o} stray bytes at offset ${o}`);
    offsets.push(o);
    o += 4 + view.getUint32(o, true);
    if (o > data.byteLength) throw new Error(`BYTES layout: element ${offsets.length - 1} runs past the end`);
  }
  offsets.push(o);
  return offsets;
}

/** The elements of a length-prefixed buffer, as views into it. */
export function bytesElements(data: Uint8Array): Uint8Array[] {
  const offsets = bytesOffsets(data);
  const out: Uint8Array[] = [];
  for (let i = 0; i + 1 < offsets.length; i++) out.push(data.subarray(offsets[i]! + 4, offsets[i + 1]!));
  return out;
}

/** The elements as strings (UTF-8); undefined when one of them is not UTF-8. */
export function bytesStrings(data: Uint8Array): string[] | undefined {
  const out: string[] = [];
  for (const e of bytesElements(data)) {
    try {
      out.push(utf8.decode(e));
    } catch {
      return undefined;
    }
  }
  return out;
}

export interface BytesCheck {
  /** Elements the shape needs. */
  count: number;
  limits: BytesLimits;
  /** Every element must be UTF-8 (the model declares the input as text). */
  text?: boolean;
  /** How the payload came, for messages: "b64", "binary_data_size", … */
  from: string;
}

/**
 * Checks a length-prefixed payload of input `name`: exactly `count` elements, each within
 * the limits, UTF-8 when the model takes text. Throws invalid_input naming both sides.
 */
export function checkBytes(name: string, data: Uint8Array, check: BytesCheck): void {
  const { count, limits, from } = check;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let o = 0;
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (o + 4 > data.byteLength) {
      throw invalidInput(
        `input '${name}': ${from} holds ${i} length-prefixed BYTES elements, the shape needs ${count} ` +
          `(each element is a 4-byte little-endian length, then that many bytes)`,
      );
    }
    const length = view.getUint32(o, true);
    o += 4;
    if (o + length > data.byteLength) {
      throw invalidInput(
        `input '${name}': ${from} element ${i} declares ${length} bytes, only ${data.byteLength - o} follow`,
      );
    }
    checkElement(name, i, data.subarray(o, o + length), check);
    total += length;
    o += length;
  }
  if (o !== data.byteLength) {
    throw invalidInput(
      `input '${name}': ${from} has ${data.byteLength - o} bytes after the ${count} elements the shape needs`,
    );
  }
  if (total > limits.totalMaxBytes) {
    throw invalidInput(
      `input '${name}': BYTES elements total ${total} bytes, more than the limit of ${limits.totalMaxBytes}`,
    );
  }
}

function checkElement(name: string, i: number, element: Uint8Array, check: BytesCheck): void {
  if (element.byteLength > check.limits.elementMaxBytes) {
    throw invalidInput(
      `input '${name}': element ${i} is ${element.byteLength} bytes, more than the limit of ${check.limits.elementMaxBytes}`,
    );
  }
  if (check.text && !isUtf8(element)) {
    throw invalidInput(`input '${name}': element ${i} is not valid UTF-8; the model takes text`);
  }
}

/** Packs JSON `data` values (strings) of a BYTES input, checking each. */
export function packStrings(
  name: string,
  values: readonly unknown[],
  check: BytesCheck,
  describe: (v: unknown) => string,
): Uint8Array {
  const parts: Uint8Array[] = values.map((v, i) => {
    if (typeof v !== 'string') {
      throw invalidInput(`input '${name}': data element ${i} is ${describe(v)}, expected a string for BYTES`);
    }
    return Buffer.from(v, 'utf8');
  });
  let total = 0;
  parts.forEach((p, i) => {
    // A JS string always encodes to valid UTF-8 (lone surrogates become U+FFFD).
    checkElement(name, i, p, { ...check, text: false });
    total += p.byteLength;
  });
  if (total > check.limits.totalMaxBytes) {
    throw invalidInput(
      `input '${name}': BYTES elements total ${total} bytes, more than the limit of ${check.limits.totalMaxBytes}`,
    );
  }
  return encodeBytes(parts);
}
