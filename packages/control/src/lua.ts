// Registers the control plane's Lua scripts on a connection (see lua/*.lua for each
// contract). Command names carry a version: bump it when a contract changes.
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const VERSION = 1;
const SCRIPTS = { lease: 'lease-2.lua', fencedWrite: 'fenced-write-1.lua', resign: 'resign-1.lua' } as const;
type Name = keyof typeof SCRIPTS;

export type ControlRedis = Redis & { [K in `altoctl_${Name}_v${typeof VERSION}`]: (...args: (string | number)[]) => Promise<unknown> };

export const cmd = <N extends Name>(name: N) => `altoctl_${name}_v${VERSION}` as const;

export function defineControlScripts(redis: Redis): ControlRedis {
  for (const [name, file] of Object.entries(SCRIPTS) as [Name, string][]) {
    if (cmd(name) in redis) continue;
    const lua = readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');
    redis.defineCommand(cmd(name), { numberOfKeys: Number(/-(\d+)\.lua$/.exec(file)![1]), lua });
  }
  return redis as ControlRedis;
}
