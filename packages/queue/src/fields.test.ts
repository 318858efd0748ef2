// The field table against the Lua sources: every field name a queue script reads or writes
// (in a hash or a stream entry) is in the table, and every name in the table is one a script
// reads or writes. The scripts' calls are read with a small Lua argument splitter.
import { readdirSync, readFileSync } from 'node:fs';
import { WEBHOOK_EVENTS } from '@alto/protocol';
import { describe, expect, it } from 'vitest';
import { ALL_FIELDS, WEBHOOK_STATE_PREFIX, entryFields, webhookStateField } from './fields.ts';

const LUA = new URL('./lua/', import.meta.url);
const files = [
  ...readdirSync(LUA).filter((f) => f.endsWith('.lua')),
  ...readdirSync(new URL('lib/', LUA)).map((f) => `lib/${f}`),
];

const code = (text: string) => text.replace(/--\[\[[\s\S]*?\]\]/g, '').replace(/--[^\n]*/g, '');

/** The arguments of every `redis.call(...)` in `text`, split at top-level commas. */
function redisCalls(text: string): string[][] {
  const calls: string[][] = [];
  for (const m of text.matchAll(/redis\.call\(/g)) {
    const args: string[] = [];
    let depth = 0;
    let quote: string | undefined;
    let cur = '';
    for (let i = m.index + m[0].length; i < text.length; i++) {
      const c = text[i]!;
      if (quote) {
        cur += c;
        if (c === '\\') cur += text[++i];
        else if (c === quote) quote = undefined;
        continue;
      }
      if (c === "'" || c === '"') quote = c;
      else if ('([{'.includes(c)) depth++;
      else if (')]}'.includes(c)) {
        if (depth === 0) break;
        depth--;
      } else if (c === ',' && depth === 0) {
        args.push(cur.trim());
        cur = '';
        continue;
      }
      cur += c;
    }
    args.push(cur.trim());
    calls.push(args);
  }
  return calls;
}

/** Where a command's field names sit among its arguments (after the command name). */
const FIELD_AT: Record<string, (i: number) => boolean> = {
  HSET: (i) => i >= 1 && i % 2 === 1,
  HGET: (i) => i === 1,
  HMGET: (i) => i >= 1,
  HDEL: (i) => i >= 1,
  HEXISTS: (i) => i === 1,
  HINCRBY: (i) => i === 1,
  XADD: (i) => i >= 2 && i % 2 === 0,
};

/** Field names the scripts spell out, and the prefixes of those they build (`'webhook_' .. event`). */
function luaFields(): { names: Set<string>; prefixes: Set<string> } {
  const names = new Set<string>();
  const prefixes = new Set<string>();
  for (const file of files) {
    const text = code(readFileSync(new URL(file, LUA), 'utf8'));
    for (const [command, ...args] of redisCalls(text)) {
      const at = FIELD_AT[command!.replace(/'/g, '')];
      if (!at) continue;
      // args[0] is the key; fields count from there.
      args.forEach((arg, i) => {
        if (!at(i)) return;
        const literal = /^'([^']*)'$/.exec(arg);
        const built = /^'([^']*)' \.\./.exec(arg);
        if (literal) names.add(literal[1]!);
        else if (built) prefixes.add(built[1]!);
      });
    }
    // Fields read from a stream entry turned into a table: f['id'].
    for (const m of text.matchAll(/\b\w+\['([a-z_]+)'\]/g)) names.add(m[1]!);
  }
  return { names, prefixes };
}

describe('field table', () => {
  const lua = luaFields();

  it('holds every field a script reads or writes', () => {
    expect([...lua.names].filter((f) => !ALL_FIELDS.has(f)).sort()).toEqual([]);
  });

  it('holds only fields a script reads or writes', () => {
    expect([...ALL_FIELDS].filter((f) => !lua.names.has(f)).sort()).toEqual([]);
  });

  it('builds the webhook state fields with the prefix the scripts use', () => {
    expect([...lua.prefixes]).toEqual([WEBHOOK_STATE_PREFIX]);
    for (const e of WEBHOOK_EVENTS) expect(webhookStateField(e)).toBe(`${WEBHOOK_STATE_PREFIX}${e}`);
  });

  it('finds fields in calls that span lines and nest calls', () => {
    const calls = redisCalls(
      `redis.call('HSET', KEYS[1], 'a', tostring(x),\n  'b', ARGV[1])\nredis.call('XADD', k, '*', 'c', f['d'], unpack(t))`,
    );
    expect(calls).toEqual([
      ["'HSET'", 'KEYS[1]', "'a'", 'tostring(x)', "'b'", 'ARGV[1]'],
      ["'XADD'", 'k', "'*'", "'c'", "f['d']", 'unpack(t)'],
    ]);
  });
});

describe('entryFields', () => {
  it('maps a flat field list and gives undefined for a deleted entry', () => {
    expect(entryFields(['id', 'a', 'v', '1'])).toEqual(
      new Map([
        ['id', 'a'],
        ['v', '1'],
      ]),
    );
    expect(entryFields(null)).toBeUndefined();
  });
});
