// Builds the web console (apps/gateway/console) into apps/gateway/console/dist: one bundled
// script (esbuild, uPlot inside), one stylesheet (uPlot's and the console's), index.html.
// Runs after `npm ci`, so `npm start` serves it with no network at run time; safe to run again.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'apps/gateway/console');
const out = join(src, 'dist');
const require = createRequire(join(root, 'apps/gateway/package.json'));

// An image's dependency layer installs before the sources are copied: nothing to build yet.
if (!existsSync(join(src, 'src/main.ts'))) {
  console.warn('build-console: no console sources (apps/gateway/console/src); nothing built');
  process.exit(0);
}

let esbuild;
try {
  esbuild = await import(require.resolve('esbuild'));
} catch {
  console.warn('build-console: esbuild is not installed; the console will answer 503 until it is built');
  process.exit(0);
}

mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: [join(src, 'src/main.ts')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
  absWorkingDir: src,
  nodePaths: [join(root, 'node_modules')],
});
const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
writeFileSync(join(out, 'app.css'), `${uplotCss}\n${readFileSync(join(src, 'src/app.css'), 'utf8')}`);
copyFileSync(join(src, 'index.html'), join(out, 'index.html'));
console.log(`build-console: ${out}`);
