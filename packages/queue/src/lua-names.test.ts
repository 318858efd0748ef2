// Names of Lua scripts in comments and docs stay true: every `*.lua` a comment, a script or
// a doc mentions exists, and a script named without its suffix (`complete-3`) is named with
// the number of KEYS it takes now, so a comment cannot keep pointing at a renamed script.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SKIP = new Set(['node_modules', '.git', 'models', '.alto', 'coverage', 'results']);

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

const files = ['apps', 'packages', 'test', 'docs', 'bench', 'scripts']
  .flatMap((d) => {
    try {
      return walk(join(ROOT, d));
    } catch {
      return [];
    }
  })
  .concat(join(ROOT, 'README.md'));

/** Every Lua file, as a path relative to its package's `lua/` folder: `start-4.lua`, `lib/webhook-event.lua`. */
const scripts = files.filter((f) => f.endsWith('.lua')).map((f) => relative(ROOT, f).replace(/^.*\/lua\//, ''));
const bases = new Set(scripts.filter((s) => !s.includes('/')).map((s) => s.replace(/-\d+\.lua$/, '')));

/** The text of `file` where names are written for people: comments of a .ts file, all of a .lua or .md file. */
function prose(file: string): string {
  const text = readFileSync(file, 'utf8');
  if (!file.endsWith('.ts')) return text;
  return [...text.matchAll(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g)].map((m) => m[0]).join('\n');
}

describe('Lua script names in comments and docs', () => {
  const mentions = files
    .filter((f) => /\.(ts|lua|md)$/.test(f))
    .flatMap((f) => {
      const text = prose(f);
      const at = relative(ROOT, f);
      return [
        ...[...text.matchAll(/[a-z0-9][a-z0-9/-]*\.lua\b/g)].map((m) => ({ at, name: m[0] })),
        ...[...text.matchAll(/\b([a-z][a-z-]*)-(\d+)\b/g)]
          .filter((m) => bases.has(m[1]!))
          .map((m) => ({ at, name: `${m[0]}.lua` })),
      ];
    });

  it('finds the scripts and some mentions of them', () => {
    expect(scripts).toContain('enqueue-6.lua');
    expect(scripts).toContain('lib/webhook-event.lua');
    expect(mentions.length).toBeGreaterThan(10);
  });

  it('mentions only scripts that exist, with the number of KEYS they take', () => {
    const stale = mentions.filter(
      ({ name }) => !scripts.some((s) => s === name || s.endsWith(`/${name}`) || name.endsWith(`/${s}`)),
    );
    expect(stale.map(({ at, name }) => `${at}: ${name}`)).toEqual([]);
  });
});
