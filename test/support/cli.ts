// Runs the `alto` bin npm links, as a user would, capturing its output and exit status.
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './fleet.ts';

export const BIN = join(ROOT, 'node_modules', '.bin', 'alto');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the linked `alto` in `cwd` with only the environment given (no ALTO_* of the caller). */
export function alto(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  const child = spawn(BIN, args, {
    cwd: opts.cwd ?? tmpdir(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
