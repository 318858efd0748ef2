// Builds @alto/client into dist/ with tsc: ES modules, declarations and source maps, plus a
// package.json that makes dist/ a package of its own (exports → index.js, types → index.d.ts),
// importable from plain Node without tsx: dist/ is what gets published. In the workspace the
// package (private) exports the TypeScript sources, as every Alto package does.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const dist = `${here}dist`;
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', `${here}tsconfig.build.json`], { stdio: 'inherit' });

const pkg = JSON.parse(readFileSync(`${here}package.json`, 'utf8'));
const published = {
  name: pkg.name,
  version: pkg.version,
  description: pkg.description,
  type: 'module',
  license: pkg.license,
  engines: pkg.engines,
  exports: { '.': { types: './index.d.ts', default: './index.js' } },
  types: './index.d.ts',
  sideEffects: false,
};
writeFileSync(`${dist}/package.json`, `${JSON.stringify(published, null, 2)}\n`);
copyFileSync(`${here}README.md`, `${dist}/README.md`);
console.log(`built ${pkg.name} ${pkg.version} into ${dist}`);
