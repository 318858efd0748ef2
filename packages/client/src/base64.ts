// Standard base64 of bytes, in plain code: the client uses neither Buffer (Node only) nor
// btoa/atob (strings of code units, slow on large tensors). Decoding also takes the URL-safe
// alphabet, as the API does.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;
LOOKUP['-'.charCodeAt(0)] = 62;
LOOKUP['_'.charCodeAt(0)] = 63;

export function encodeBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let line = '';
  const n = bytes.length;
  for (let i = 0; i < n; i += 3) {
    const b0 = bytes[i]!;
    const b1 = i + 1 < n ? bytes[i + 1]! : 0;
    const b2 = i + 2 < n ? bytes[i + 2]! : 0;
    line +=
      ALPHABET[b0 >> 2]! +
      ALPHABET[((b0 & 3) << 4) | (b1 >> 4)]! +
      (i + 1 < n ? ALPHABET[((b1 & 15) << 2) | (b2 >> 6)]! : '=') +
      (i + 2 < n ? ALPHABET[b2 & 63]! : '=');
    // Joining chunks keeps string building linear on large tensors.
    if (line.length >= 8192) {
      parts.push(line);
      line = '';
    }
  }
  parts.push(line);
  return parts.join('');
}

/** The bytes of `text`; throws with `what` in the message when it is not base64. */
export function decodeBase64(text: string, what: string): Uint8Array {
  const clean = text.replace(/=+$/, '');
  if (clean.length % 4 === 1) throw new Error(`${what}: not base64 (length ${text.length})`);
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    const c = clean.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) throw new Error(`${what}: not base64 (character ${JSON.stringify(clean[i])} at ${i})`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
