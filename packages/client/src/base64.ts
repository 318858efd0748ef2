// Standard base64 of bytes, in plain code: the client uses neither Buffer (Node only) nor
// btoa/atob (strings of code units, slow on large tensors). Decoding also takes the URL-safe
// alphabet, as the API does. 4 MiB: ~25 ms to encode, ~30 ms to decode (Node 20).
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;
LOOKUP['-'.charCodeAt(0)] = 62;
LOOKUP['_'.charCodeAt(0)] = 63;

const ENCODE = new TextEncoder().encode(ALPHABET);
const PAD = 61; // '='

export function encodeBase64(bytes: Uint8Array): string {
  // ASCII bytes first, one string at the end: ~100x faster than growing a string.
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ENCODE[v >> 18]!;
    out[o++] = ENCODE[(v >> 12) & 63]!;
    out[o++] = ENCODE[(v >> 6) & 63]!;
    out[o++] = ENCODE[v & 63]!;
  }
  if (i < n) {
    const v = (bytes[i]! << 16) | (i + 1 < n ? bytes[i + 1]! << 8 : 0);
    out[o++] = ENCODE[v >> 18]!;
    out[o++] = ENCODE[(v >> 12) & 63]!;
    out[o++] = i + 1 < n ? ENCODE[(v >> 6) & 63]! : PAD;
    out[o] = PAD;
  }
  return new TextDecoder().decode(out);
}

/** The bytes of `text`; throws with `what` in the message when it is not base64. */
export function decodeBase64(text: string, what: string): Uint8Array {
  let len = text.length;
  while (len > 0 && text.charCodeAt(len - 1) === PAD) len--;
  if (len % 4 === 1) throw new Error(`${what}: not base64 (length ${text.length})`);
  const at = (k: number) => {
    const c = text.charCodeAt(k);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) throw new Error(`${what}: not base64 (character ${JSON.stringify(text[k])} at ${k})`);
    return v;
  };
  const out = new Uint8Array((len * 3) >> 2);
  let o = 0;
  let i = 0;
  for (; i + 3 < len; i += 4) {
    const v = (at(i) << 18) | (at(i + 1) << 12) | (at(i + 2) << 6) | at(i + 3);
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  if (len - i >= 2) {
    const v = (at(i) << 18) | (at(i + 1) << 12) | (len - i === 3 ? at(i + 2) << 6 : 0);
    out[o++] = v >> 16;
    if (len - i === 3) out[o] = (v >> 8) & 0xff;
  }
  return out;
}
