// A static check that a Lua script touches only keys it received in KEYS: what Redis Cluster
// requires (a script's keys must be declared, and all in one slot) and what keeps key names
// in keys.ts. Reads the script's text; runs nothing. Used by lua-keys.test.ts over every script.

/**
 * Where each command Alto's scripts call takes its keys: 'first' (the first argument),
 * 'all' (every argument) or 'none'. A command missing here is reported, so a script using a
 * new command makes someone say where its keys are.
 */
export const KEY_ARGS: Readonly<Record<string, 'first' | 'all' | 'none'>> = {
  GET: 'first',
  SET: 'first',
  INCR: 'first',
  DEL: 'all',
  EXISTS: 'all',
  PEXPIRE: 'first',
  PERSIST: 'first',
  HGET: 'first',
  HSET: 'first',
  HDEL: 'first',
  HMGET: 'first',
  HGETALL: 'first',
  HINCRBY: 'first',
  ZADD: 'first',
  ZREMRANGEBYSCORE: 'first',
  ZCARD: 'first',
  TIME: 'none',
  XADD: 'first',
  XDEL: 'first',
  XACK: 'first',
  XLEN: 'first',
  XRANGE: 'first',
  XPENDING: 'first',
  PUBLISH: 'none',
  // A shard channel is no key, but Redis Cluster wants it in the script's slot: the scripts
  // publish only to channels built by keys.notices, which carry the model's hash tag.
  SPUBLISH: 'none',
};

/** The script's code without its comments (`--[[ ]]` blocks and `--` to the end of a line). */
export function stripComments(lua: string): string {
  return lua.replace(/--\[(=*)\[[\s\S]*?\]\1\]/g, '').replace(/--[^\n]*/g, '');
}

/** Splits an argument list at its top-level commas (not inside brackets or strings). */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') {
        cur += c + (text[++i] ?? '');
        continue;
      }
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

/** Every call of `fn(` in `code`: its arguments, split. */
function calls(code: string, fn: RegExp): { name: string; args: string[] }[] {
  const out: { name: string; args: string[] }[] = [];
  for (const m of code.matchAll(fn)) {
    let depth = 1;
    let i = m.index + m[0].length;
    const start = i;
    let quote: string | undefined;
    for (; i < code.length && depth > 0; i++) {
      const c = code[i]!;
      if (quote) {
        if (c === '\\') i++;
        else if (c === quote) quote = undefined;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === '(') depth++;
      else if (c === ')') depth--;
    }
    out.push({ name: m[1]!, args: splitArgs(code.slice(start, i - 1)) });
  }
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Problems with the keys `lua` (a script with its includes spliced in) hands to Redis, given
 * the number of KEYS it takes: a key argument that is not KEYS[i] (a literal, or a name built
 * by concatenation), an index past the KEYS it takes, or a command whose keys are not known.
 * A key may also be a local set to KEYS[i], or a local function's parameter that every call
 * of the function binds to KEYS[i]. Empty when the script is clean.
 */
export function keyProblems(lua: string, numberOfKeys: number): string[] {
  const code = stripComments(lua);
  const problems: string[] = [];
  const fromKeys = (expr: string): boolean => {
    const m = /^KEYS\[((?:[^[\]]|\[[^[\]]*\])+)\]$/.exec(expr);
    if (!m) return false;
    // A computed index (fenced-write's KEYS[w[2]]) still picks one of the KEYS given.
    if (/^\d+$/.test(m[1]!) && (Number(m[1]) < 1 || Number(m[1]) > numberOfKeys)) {
      problems.push(`${expr}: the script takes ${numberOfKeys} KEYS`);
    }
    return true;
  };
  const aliases = new Set(
    [...code.matchAll(/\blocal\s+([A-Za-z_]\w*)\s*=\s*(KEYS\[[^\]]+\])\s*$/gm)]
      .filter((m) => fromKeys(m[2]!))
      .map((m) => m[1]!),
  );
  const params = new Map<string, string[]>();
  for (const m of code.matchAll(/\blocal\s+function\s+([A-Za-z_]\w*)\s*\(([^)]*)\)/g)) {
    params.set(m[1]!, splitArgs(m[2]!));
  }
  /** A local function's parameter that every call of the function binds to a key from KEYS. */
  const keyParam = (name: string): boolean => {
    for (const [fn, names] of params) {
      const at = names.indexOf(name);
      if (at < 0) continue;
      const withoutDefinition = code.replace(new RegExp(`function\\s+${escape(fn)}\\s*\\(`, 'g'), 'function (');
      const uses = calls(withoutDefinition, new RegExp(`(?<![\\w.])(${escape(fn)})\\s*\\(`, 'g'));
      const direct = (e: string) => fromKeys(e) || aliases.has(e);
      if (uses.length > 0 && uses.every((u) => direct(u.args[at] ?? ''))) return true;
    }
    return false;
  };
  const isKey = (expr: string): boolean => fromKeys(expr) || aliases.has(expr) || keyParam(expr);
  for (const c of calls(code, /redis\.(p?call)\s*\(/g)) {
    const command = /^'([A-Za-z]+)'$|^"([A-Za-z]+)"$/.exec(c.args[0] ?? '');
    const name = (command?.[1] ?? command?.[2])?.toUpperCase();
    if (name === undefined) {
      problems.push(`redis.${c.name}(${c.args.join(', ')}): the command must be a literal`);
      continue;
    }
    const where = KEY_ARGS[name];
    if (where === undefined) {
      problems.push(`${name}: not in KEY_ARGS; say where its keys are`);
      continue;
    }
    const keys = where === 'none' ? [] : where === 'first' ? c.args.slice(1, 2) : c.args.slice(1);
    for (const k of keys) if (!isKey(k)) problems.push(`${name} ${k}: a key not taken from KEYS`);
  }
  for (const m of code.matchAll(/KEYS\[[^\]]+\]\s*\.\.|\.\.\s*KEYS\[/g)) {
    problems.push(`'${m[0]}': a key name built inside the script`);
  }
  return problems;
}
