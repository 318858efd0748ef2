// Prediction ids: `<model>.<ulid>`. The model part lets any gateway find the prediction's
// keys (all under the model's hash tag) in one round trip; the ULID sorts by creation time.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

// Random bytes drawn 4 KiB at a time: one call into the CSPRNG per 256 ids, not per id.
let pool = Buffer.alloc(0);
let offset = 0;
function random16(): Buffer {
  if (offset + 16 > pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  offset += 16;
  return pool.subarray(offset - 16, offset);
}

export function ulid(now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  const bytes = random16();
  let rand = '';
  for (let i = 0; i < 16; i++) rand += ALPHABET[bytes[i]! % 32]!;
  return time + rand;
}

export function newPredictionId(model: string, now?: number): string {
  return `${model}.${ulid(now)}`;
}

const ID = /^([a-z0-9][a-z0-9._-]{0,62})\.([0-9a-hjkmnp-tv-z]{26})$/;

/** The model a prediction id belongs to, or undefined for a malformed id. */
export function modelOfPrediction(id: string): string | undefined {
  return ID.exec(id)?.[1];
}
