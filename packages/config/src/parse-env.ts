// Parses an app's environment once, at start-up, against a zod object schema.
// Unknown ALTO_* variables are errors that name the closest valid one: a typo must fail
// fast rather than silently fall back to a default.
import type { z } from 'zod';
import { closest } from './closest.ts';

export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export interface ParseEnvOptions {
  /** Variables with this prefix must all be known to the schema. @default 'ALTO_' */
  prefix?: string;
  /** Variables with the prefix that belong to other apps sharing the environment. */
  alsoKnown?: readonly string[];
}

export function parseEnv<S extends z.ZodObject>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
  options: ParseEnvOptions = {},
): z.infer<S> {
  const prefix = options.prefix ?? 'ALTO_';
  const known = Object.keys(schema.shape);
  const accepted = new Set([...known, ...(options.alsoKnown ?? [])]);
  const problems: string[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith(prefix) || accepted.has(name)) continue;
    const guess = closest(name, [...accepted]);
    problems.push(`unknown variable ${name}${guess ? ` (did you mean ${guess}?)` : ''}`);
  }
  // Empty strings mean "unset", as in most shells' `VAR= cmd`.
  const input: Record<string, string> = {};
  for (const name of known) {
    const value = env[name];
    if (value !== undefined && value !== '') input[name] = value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = issue.path.join('.');
      problems.push(`${name}: ${issue.message}${input[name] !== undefined ? ` (got '${input[name]}')` : ''}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return (result as { data: z.infer<S> }).data;
}

/**
 * For an app's entry point: parses with `load`, or prints the problems (no stack trace:
 * they are the operator's to fix) and exits with status 2.
 */
export function envOrExit<T>(app: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`alto ${app}: ${err.message}\n`);
    process.exit(2);
  }
}
