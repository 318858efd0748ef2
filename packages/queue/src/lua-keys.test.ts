// Every Lua script of every package touches only keys it received in KEYS — no key name built
// or spelled inside a script — so each runs on Redis Cluster, where a script's keys must be
// declared (and share a slot: the callers pass keys of one hash tag, see keys.ts).
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keyProblems } from './lua-keys.ts';
import { luaSource, numberOfKeys } from './lua-script.ts';

const PACKAGES = new URL('../../', import.meta.url);
const scripts = readdirSync(PACKAGES).flatMap((pkg) => {
  const dir = new URL(`${pkg}/src/lua/`, PACKAGES);
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.lua'))
      .map((file) => ({ name: `${pkg}/${file}`, dir, file }));
  } catch {
    return [];
  }
});

describe('keys of the Lua scripts', () => {
  it('finds the scripts of both packages', () => {
    const names = scripts.map((s) => s.name);
    expect(names).toContain('queue/enqueue-6.lua');
    expect(names).toContain('control/fenced-write-6.lua');
    expect(names.length).toBeGreaterThanOrEqual(10);
  });

  it.each(scripts.map((s) => [s.name, s] as const))('%s touches only keys from KEYS', (_, s) => {
    expect(keyProblems(luaSource(s.dir, s.file), numberOfKeys(s.file))).toEqual([]);
  });

  it('flags a literal key, a built key, an index past KEYS and an unknown command', () => {
    const lua = `
      -- redis.call('GET', 'commented:out') is not code
      local stream = KEYS[1]
      redis.call('XLEN', stream)
      redis.call('GET', 'alto:{control}:leader')
      redis.call('HSET', KEYS[1] .. ':p:' .. ARGV[1], 'status', 'queued')
      redis.call('DEL', KEYS[2], KEYS[3])
      redis.call('SUNIONSTORE', KEYS[1], KEYS[2])`;
    expect(keyProblems(lua, 2)).toEqual([
      "GET 'alto:{control}:leader': a key not taken from KEYS",
      "HSET KEYS[1] .. ':p:' .. ARGV[1]: a key not taken from KEYS",
      'KEYS[3]: the script takes 2 KEYS',
      'SUNIONSTORE: not in KEY_ARGS; say where its keys are',
      "'KEYS[1] ..': a key name built inside the script",
    ]);
  });

  it("accepts a function's parameter only when every call passes a key from KEYS", () => {
    const fn = `local function touch(hash, v)\n  redis.call('HSET', hash, 'f', v)\nend\n`;
    expect(keyProblems(`${fn}touch(KEYS[1], 1)\ntouch(KEYS[2], 2)`, 2)).toEqual([]);
    expect(keyProblems(`${fn}touch(KEYS[1], 1)\ntouch('other', 2)`, 2)).toEqual([
      'HSET hash: a key not taken from KEYS',
    ]);
  });
});
