// Lua scripts as typed commands: a script's source with its includes resolved, registered
// under a versioned command name, behind one function that takes named parameters, builds
// KEYS and ARGV and decodes the reply. Shared by @alto/queue and @alto/control; the scripts
// and their wrappers live with the package that owns their data.
import { readFileSync } from 'node:fs';
import type { ChainableCommander, Redis } from 'ioredis';

export type LuaArg = string | Buffer | number;

/**
 * `-- uses lib/<name>.lua` on a line of its own splices that file (a path relative to the
 * scripts' folder) in its place: Redis scripts cannot include one another. Includes nest;
 * a file already spliced into the script is not spliced again.
 */
const INCLUDE = /^-- uses ([a-z0-9/-]+\.lua)$/gm;

/** The `.lua` files a script's text includes, as written. */
export const luaIncludes = (text: string): string[] => [...text.matchAll(INCLUDE)].map((m) => m[1]!);

/** A script's text with its includes spliced in, recursively. */
export function luaSource(dir: URL, file: string): string {
  const spliced = new Set<string>();
  const splice = (name: string, chain: string[]): string => {
    if (chain.includes(name)) throw new Error(`Lua include cycle: ${[...chain, name].join(' -> ')}`);
    spliced.add(name);
    const text = readFileSync(new URL(name, dir), 'utf8');
    return text.replace(INCLUDE, (_, lib: string) => {
      if (chain.includes(lib) || lib === name)
        throw new Error(`Lua include cycle: ${[...chain, name, lib].join(' -> ')}`);
      return spliced.has(lib) ? `-- (${lib} spliced above)` : splice(lib, [...chain, name]).trimEnd();
    });
  };
  return splice(file, []);
}

/** The number of KEYS a script takes: the suffix of its file name (`enqueue-6.lua` takes 6). */
export function numberOfKeys(file: string): number {
  const n = /-(\d+)\.lua$/.exec(file)?.[1];
  if (n === undefined) throw new Error(`Lua script '${file}': the name must end in -<number of KEYS>.lua`);
  return Number(n);
}

export interface ScriptSpec<P, R> {
  /** Folder of the `.lua` files (a `file:` URL ending in '/'). */
  dir: URL;
  /** The script's file in `dir`, named after its number of KEYS: `enqueue-6.lua`. */
  file: string;
  /**
   * Command name, carrying the version of the script's contract (KEYS, ARGV, replies): an old
   * and a new process sharing one Redis never run each other's script.
   */
  command: string;
  /**
   * Every outcome the reply can name, as the script's header names them (UPPER_SNAKE).
   * Numeric ones are also in `codes`.
   */
  outcomes: readonly string[];
  /** The numeric reply codes by name: the script declares each as `local NAME = <code>`. */
  codes?: Readonly<Record<string, number>>;
  /** KEYS, in the order of the script's header. */
  keys(p: P): string[];
  /** ARGV, in the order of the script's header. */
  argv(p: P): LuaArg[];
  /** The reply as a named outcome. */
  decode(reply: unknown): R;
}

/** One Lua script behind named parameters and a typed reply. */
export interface LuaScript<P, R> {
  readonly command: string;
  readonly file: string;
  readonly numberOfKeys: number;
  readonly outcomes: readonly string[];
  readonly codes: Readonly<Record<string, number>>;
  /** Registers the command on a connection (once); pipelines made from it afterwards have it too. */
  define(redis: Redis): void;
  /** Runs the script: one round trip. */
  run(redis: Redis, p: P): Promise<R>;
  /**
   * Adds a call to a pipeline or MULTI made from a connection the script is defined on;
   * `decode` turns its entry of the pipeline's replies into the outcome.
   */
  queue(pipe: ChainableCommander, p: P): void;
  decode(reply: unknown): R;
  /** KEYS then ARGV, as sent. */
  args(p: P): LuaArg[];
}

type Command = (...args: LuaArg[]) => Promise<unknown>;

const sources = new Map<string, string>();

export function luaScript<P, R>(spec: ScriptSpec<P, R>): LuaScript<P, R> {
  const keyCount = numberOfKeys(spec.file);
  const args = (p: P): LuaArg[] => {
    const keys = spec.keys(p);
    if (keys.length !== keyCount) throw new Error(`${spec.file} takes ${keyCount} KEYS, given ${keys.length}`);
    return [...keys, ...spec.argv(p)];
  };
  const define = (redis: Redis): void => {
    if (spec.command in redis) return;
    const at = new URL(spec.file, spec.dir).href;
    let lua = sources.get(at);
    if (lua === undefined) sources.set(at, (lua = luaSource(spec.dir, spec.file)));
    redis.defineCommand(spec.command, { numberOfKeys: keyCount, lua });
  };
  return {
    command: spec.command,
    file: spec.file,
    numberOfKeys: keyCount,
    outcomes: spec.outcomes,
    codes: spec.codes ?? {},
    define,
    args,
    decode: spec.decode,
    async run(redis, p) {
      define(redis);
      return spec.decode(await (redis as unknown as Record<string, Command>)[spec.command]!(...args(p)));
    },
    queue(pipe, p) {
      const command = (pipe as unknown as Record<string, Command | undefined>)[spec.command];
      if (command === undefined) {
        throw new Error(
          `${spec.command} is not defined on the connection this pipeline was made from; define it first`,
        );
      }
      void command.apply(pipe, args(p));
    },
  };
}

/** Registers every script of a set on a connection. */
export function defineLuaScripts(redis: Redis, scripts: Iterable<LuaScript<never, unknown>>): void {
  for (const s of scripts) s.define(redis);
}

/** The reply of entry `i` of a pipeline's results: its error thrown, else decoded by `script`. */
export function pipelineReply<R>(script: LuaScript<never, R>, results: [Error | null, unknown][], i: number): R {
  const [err, value] = results[i] ?? [new Error(`${script.command}: no reply at ${i}`), null];
  if (err) throw err;
  return script.decode(value);
}

/** Ends a `switch` over a script's outcomes: adding an outcome breaks the build where it is not handled. */
export function exhaustive(outcome: never): never {
  throw new Error(`unhandled script outcome ${JSON.stringify(outcome)}`);
}

/**
 * The outcome named by a numeric reply code (`codes` maps names to codes, as the script's
 * `local NAME = <code>` lines do); throws for a code the contract does not name.
 */
export function codeOf<C extends Record<string, number>>(file: string, codes: C, reply: unknown): keyof C & string {
  for (const name in codes) if (codes[name] === reply) return name;
  return unexpected(file, reply);
}

/** Throws for a reply no outcome of the script names: a script and its wrapper disagree. */
export function unexpected(file: string, reply: unknown): never {
  throw new Error(`${file} replied ${JSON.stringify(reply)}, which its contract does not name`);
}

/** The numbers a script's header lists for `KEYS[n]` or `ARGV[n]` at the start of a line. */
export function headerSlots(text: string, slot: 'KEYS' | 'ARGV'): number[] {
  const header = /^--\[\[([\s\S]*?)\]\]/.exec(text)?.[1] ?? '';
  return [...header.matchAll(new RegExp(`^\\s*${slot}\\[(\\d+)\\]`, 'gm'))].map((m) => Number(m[1]));
}

/**
 * Where a script's text (as written, before includes) and its wrapper disagree: the header
 * lists KEYS[1..n] for the n its file name announces, names every outcome of the wrapper
 * (and no other) at the start of a line of its Returns section, and the script declares
 * exactly the wrapper's numeric codes as `local NAME = <code>`. Empty when they agree.
 */
export function contractProblems(script: LuaScript<never, unknown>, text: string): string[] {
  const problems: string[] = [];
  const at = script.file;
  const keys = headerSlots(text, 'KEYS');
  const expected = Array.from({ length: script.numberOfKeys }, (_, i) => i + 1);
  if (JSON.stringify(keys) !== JSON.stringify(expected)) {
    problems.push(`${at}: header lists KEYS ${JSON.stringify(keys)}, the file name announces ${script.numberOfKeys}`);
  }
  const header = /^--\[\[([\s\S]*?)\]\]/.exec(text)?.[1] ?? '';
  const returns = /^\s*Returns\b[^\n]*\n((?:[ \t]+\S[^\n]*\n?)*)/m.exec(header)?.[1];
  if (returns === undefined) problems.push(`${at}: header has no Returns section`);
  const named = new Set([...(returns ?? '').matchAll(/^\s*([A-Z][A-Z_]+)\b/gm)].map((m) => m[1]!));
  for (const o of script.outcomes) if (!named.has(o)) problems.push(`${at}: Returns does not name outcome ${o}`);
  for (const n of named)
    if (!script.outcomes.includes(n)) problems.push(`${at}: Returns names ${n}, which the wrapper does not`);
  const declared = Object.fromEntries(
    [...text.matchAll(/^local ([A-Z][A-Z_]+) = (-?\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]),
  );
  const sorted = (o: Record<string, number>) =>
    JSON.stringify(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  if (sorted(declared) !== sorted(script.codes)) {
    problems.push(`${at}: declares codes ${sorted(declared)}, the wrapper ${sorted(script.codes)}`);
  }
  return problems;
}
