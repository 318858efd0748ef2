// The shared Lua loader and wrapper: includes are spliced recursively and once, cycles and
// misnamed files fail loudly, and a wrapper refuses KEYS its file name does not announce.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { codeOf, luaIncludes, luaScript, luaSource, numberOfKeys } from './lua-script.ts';

describe('luaSource', () => {
  const root = mkdtempSync(join(tmpdir(), 'alto-lua-'));
  mkdirSync(join(root, 'lib'));
  const dir = pathToFileURL(`${root}/`);
  const write = (name: string, text: string) => writeFileSync(join(root, name), text);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('splices includes recursively, each library once', () => {
    write('lib/a.lua', 'local function a() end\n');
    write('lib/b.lua', '-- uses lib/a.lua\nlocal function b() a() end\n');
    write('main-1.lua', '-- uses lib/b.lua\n-- uses lib/a.lua\nreturn b()\n');
    const text = luaSource(dir, 'main-1.lua');
    expect(text.match(/local function a\(\)/g)).toHaveLength(1);
    expect(text.indexOf('function a')).toBeLessThan(text.indexOf('function b'));
    expect(text).toContain('return b()');
    expect(luaIncludes(text)).toEqual([]);
  });

  it('refuses an include cycle, naming it', () => {
    write('lib/x.lua', '-- uses lib/y.lua\n');
    write('lib/y.lua', '-- uses lib/x.lua\n');
    write('loop-1.lua', '-- uses lib/x.lua\n');
    expect(() => luaSource(dir, 'loop-1.lua')).toThrow(
      'Lua include cycle: loop-1.lua -> lib/x.lua -> lib/y.lua -> lib/x.lua',
    );
  });

  it('fails on an include that does not exist', () => {
    write('missing-1.lua', '-- uses lib/nowhere.lua\n');
    expect(() => luaSource(dir, 'missing-1.lua')).toThrow(/nowhere\.lua/);
  });
});

describe('luaScript', () => {
  const script = luaScript<{ a: string; b: string; n: number }, 'ONE' | 'ZERO'>({
    dir: new URL('./lua/', import.meta.url),
    file: 'pair-2.lua',
    command: 'test_pair_v1',
    outcomes: ['ONE', 'ZERO'],
    codes: { ONE: 1, ZERO: 0 },
    keys: (p) => [p.a, p.b],
    argv: (p) => [p.n],
    decode: (reply) => codeOf('pair-2.lua', { ONE: 1, ZERO: 0 }, reply),
  });

  it('takes its number of KEYS from the file name and sends KEYS before ARGV', () => {
    expect(script.numberOfKeys).toBe(2);
    expect(script.args({ a: 'k1', b: 'k2', n: 7 })).toEqual(['k1', 'k2', 7]);
  });

  it('refuses KEYS of another count than its file name says', () => {
    const bad = luaScript<string[], unknown>({
      dir: new URL('./lua/', import.meta.url),
      file: 'pair-2.lua',
      command: 'test_bad_v1',
      outcomes: [],
      keys: (p) => p,
      argv: () => [],
      decode: (r) => r,
    });
    expect(() => bad.args(['only-one'])).toThrow('pair-2.lua takes 2 KEYS, given 1');
  });

  it('decodes named codes and refuses a reply the contract does not name', () => {
    expect(script.decode(1)).toBe('ONE');
    expect(script.decode(0)).toBe('ZERO');
    expect(() => script.decode(-9)).toThrow('pair-2.lua replied -9, which its contract does not name');
  });

  it('needs a file name that announces its KEYS', () => {
    expect(numberOfKeys('enqueue-6.lua')).toBe(6);
    expect(() => numberOfKeys('enqueue.lua')).toThrow(/must end in -<number of KEYS>\.lua/);
  });
});
