// What a command is: its arguments, its flags, and what it does with a client.
import type { Flags, OptionSpecs } from './args.ts';
import type { Client } from './client.ts';
import type { Env } from './settings.ts';

/** The process's streams and surroundings, passed in so tests can run commands in-process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: Env;
  cwd: string;
}

export interface Context {
  args: string[];
  flags: Flags;
  /** `--json`: print the server's JSON as is instead of tables. */
  json: boolean;
  client: Client;
  io: Io;
}

export interface Command {
  name: string;
  summary: string;
  /** Positional arguments, in order; optional ones last. */
  args: readonly { name: string; optional?: boolean }[];
  options: OptionSpecs;
  /** Which API the command talks to; decides which credential is looked up. */
  api: 'admin' | 'gateway';
  /** Paragraphs printed after the flags in `--help`. */
  notes?: string;
  run(ctx: Context): Promise<number>;
}

export const printJson = (io: Io, value: unknown) => io.out(`${JSON.stringify(value, null, 2)}\n`);
