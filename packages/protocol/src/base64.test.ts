import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64, strictFromString } from './base64.ts';

/** `text` as ASCII bytes starting at byte offset `offset` of their buffer. */
const at = (text: string, offset: number) =>
  Buffer.concat([Buffer.alloc(offset), Buffer.from(text, 'latin1')]).subarray(offset);

describe('decodeBase64', () => {
  it('gives what Node decodes, for every length mod 3, both alphabets, aligned or not', () => {
    for (let len = 0; len < 70; len++) {
      const bytes = randomBytes(len);
      for (const text of [bytes.toString('base64'), bytes.toString('base64url').padEnd(Math.ceil(len / 3) * 4, '=')])
        for (const offset of [0, 1, 2, 3])
          expect(decodeBase64(at(text, offset))?.equals(bytes), `${len} ${offset}`).toBe(true);
    }
    const large = randomBytes(110_592);
    expect(decodeBase64(at(large.toString('base64'), 1))?.equals(large)).toBe(true);
  });

  it('refuses a character outside the alphabet anywhere, as strictFromString does', () => {
    const text = randomBytes(300).toString('base64');
    for (const pos of [0, 1, 2, 3, 150, 151, text.length - 4, text.length - 3, text.length - 2, text.length - 1]) {
      for (const bad of ['*', ' ', '\n', '\u00e9', '.']) {
        const broken = text.slice(0, pos) + bad + text.slice(pos + 1);
        const asBytes = Buffer.from(broken, 'latin1');
        expect(decodeBase64(asBytes), `${pos} ${JSON.stringify(bad)}`).toBeUndefined();
        expect(strictFromString(broken)).toBeUndefined();
      }
    }
  });

  it('refuses padding anywhere but the end, and a length that is not a multiple of 4', () => {
    const text = randomBytes(30).toString('base64'); // 40 characters, no padding
    for (const bad of [
      `${text.slice(0, 20)}=${text.slice(21)}`,
      `${text.slice(0, 36)}A===`,
      `${text.slice(0, 36)}=AAA`,
      `${text.slice(0, 36)}AB=C`,
      text.slice(1),
    ]) {
      expect(decodeBase64(Buffer.from(bad)), bad).toBeUndefined();
      expect(strictFromString(bad), bad).toBeUndefined();
    }
  });
});
