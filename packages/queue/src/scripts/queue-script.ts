// How the queue's scripts are named: one contract VERSION for all of them, carried by each
// command name. Bump it when any script's contract (KEYS, ARGV, replies) changes, so an old
// and a new worker sharing one Redis never run each other's script.
import { luaScript, type LuaScript, type ScriptSpec } from '../lua-script.ts';

export { codeOf, unexpected } from '../lua-script.ts';

export const VERSION = 15;

const DIR = new URL('../lua/', import.meta.url);

/** A queue script: `name` gives its command name, `alto_<name>_v<VERSION>`. */
export const queueScript = <P, R>(name: string, spec: Omit<ScriptSpec<P, R>, 'dir' | 'command'>): LuaScript<P, R> =>
  luaScript({ ...spec, dir: DIR, command: `alto_${name}_v${VERSION}` });
