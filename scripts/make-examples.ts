// Writes examples/textdir.json: a request for the `textdir` demo model holding a synthetic
// 48×192 "text line" (dark strokes on a light background), normalised as PP-OCR expects
// ((pixel / 255 - 0.5) / 0.5), as base64 FP32. Run: node --import tsx scripts/make-examples.ts
import { writeFileSync } from 'node:fs';

const [H, W] = [48, 192];
const pixels = new Float32Array(3 * H * W);
for (let y = 0; y < H; y++) {
  for (let x = 0; x < W; x++) {
    // Glyph-like blocks along a baseline in the upper-middle band of the line.
    const inBand = y > 12 && y < 36;
    const glyph = Math.floor(x / 16) % 2 === 0 && x % 16 > 3 && x % 16 < 13;
    const stroke = inBand && glyph && (y < 16 || y > 32 || x % 16 < 6 || x % 16 > 10);
    const value = stroke ? 30 : 235;
    for (let c = 0; c < 3; c++) pixels[c * H * W + y * W + x] = (value / 255 - 0.5) / 0.5;
  }
}
const body = {
  input: { x: { datatype: 'FP32', shape: [1, 3, H, W], b64: Buffer.from(pixels.buffer).toString('base64') } },
};
const out = new URL('../examples/textdir.json', import.meta.url);
writeFileSync(out, JSON.stringify(body) + '\n');
console.log(`wrote ${out.pathname}`);
