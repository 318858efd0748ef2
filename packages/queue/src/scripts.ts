// Registers the Lua scripts on a connection. Command names carry a version, so an old and
// a new worker sharing one Redis never run each other's script; bump it when a script's
// contract (KEYS / ARGV / returns) changes.
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const VERSION = 12;

const SCRIPTS = {
  enqueue: 'enqueue-6.lua',
  start: 'start-4.lua',
  complete: 'complete-3.lua',
  cancel: 'cancel-3.lua',
  failQueued: 'fail-queued-3.lua',
  replay: 'replay-3.lua',
  webhookDelivery: 'webhook-delivery-1.lua',
  ownerAdd: 'owner-add-1.lua',
} as const;

export type ScriptName = keyof typeof SCRIPTS;
export const commandName = (name: ScriptName): `alto_${string}` => `alto_${name}_v${VERSION}`;

type Arg = string | Buffer | number;

/** A connection with Alto's scripts defined on it. */
export interface ScriptedRedis extends Redis {
  [command: `alto_${string}`]: (...args: Arg[]) => Promise<unknown>;
}

const sources = new Map<string, string>();

const read = (file: string) => readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');

/**
 * A script's text with each `-- uses lib/<name>.lua` line replaced by that library, so helpers
 * shared by several scripts live in one file (Redis scripts cannot include one another).
 */
function source(file: string): string {
  return read(file).replace(/^-- uses (lib\/[a-z0-9-]+\.lua)$/gm, (_, lib: string) => read(lib).trimEnd());
}

export function defineScripts(redis: Redis): ScriptedRedis {
  for (const [name, file] of Object.entries(SCRIPTS) as [ScriptName, string][]) {
    let lua = sources.get(file);
    if (lua === undefined) {
      lua = source(file);
      sources.set(file, lua);
    }
    const numberOfKeys = Number(/-(\d+)\.lua$/.exec(file)![1]);
    if (!(commandName(name) in redis)) redis.defineCommand(commandName(name), { numberOfKeys, lua });
  }
  return redis as ScriptedRedis;
}
