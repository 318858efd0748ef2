// Command-line flags: `--name value`, `--name=value`, booleans, flags whose value is optional
// (`--wait` or `--wait=10`, never `--wait 10`, so a positional is not swallowed), repeatable
// flags, and `--` to end flags. Every mistake is a usage error that names the flag.
import { closest } from '@alto/config';
import { usageError } from './exit.ts';

export interface OptionSpec {
  /** `string` needs a value; `optional` takes one only as `--name=value`. */
  kind: 'string' | 'boolean' | 'optional';
  multiple?: boolean;
  /** Placeholder shown in help, e.g. `N`. */
  value?: string;
  help: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

export interface Parsed {
  positionals: string[];
  flags: Flags;
}

/** `where` names the command in messages, e.g. `alto publish`. */
export function parseArgs(argv: readonly string[], specs: OptionSpecs, where: string): Parsed {
  const positionals: string[] = [];
  const values = new Map<string, string | true | string[]>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (token === '-h') {
      values.set('help', true);
      continue;
    }
    if (!token.startsWith('-') || token === '-') {
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = token.startsWith('--') ? token.slice(2, eq === -1 ? undefined : eq) : token;
    const spec = token.startsWith('--') ? specs[name] : undefined;
    if (!spec) {
      const guess = closest(name.replace(/^-+/, ''), Object.keys(specs));
      throw usageError(`unknown flag ${token.startsWith('--') ? `--${name}` : name} for '${where}'${guess ? ` (did you mean --${guess}?)` : ''}`);
    }
    let value: string | true;
    if (eq !== -1) {
      if (spec.kind === 'boolean') throw usageError(`flag --${name} takes no value, got '${token.slice(eq + 1)}'`);
      value = token.slice(eq + 1);
    } else if (spec.kind === 'string') {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw usageError(`flag --${name} needs a value (--${name} ${spec.value ?? 'VALUE'})`);
      value = next;
      i++;
    } else {
      value = true;
    }
    if (spec.multiple) {
      const list = values.get(name);
      values.set(name, [...(Array.isArray(list) ? list : []), String(value)]);
    } else if (values.has(name)) {
      throw usageError(`flag --${name} given more than once`);
    } else {
      values.set(name, value);
    }
  }
  return { positionals, flags: new Flags(values) };
}

/** Typed reads of parsed flags; number reads check their range and name the flag. */
export class Flags {
  constructor(private readonly values: ReadonlyMap<string, string | true | string[]>) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  string(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  bool(name: string): boolean {
    return this.values.get(name) === true;
  }

  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }

  /** For `optional` flags: true when given bare, the string when given `=value`. */
  optional(name: string): string | true | undefined {
    const v = this.values.get(name);
    return Array.isArray(v) ? undefined : v;
  }

  int(name: string, min: number): number | undefined {
    const raw = this.string(name);
    return raw === undefined ? undefined : parseWhole(`--${name}`, raw, min);
  }
}

export function parseWhole(what: string, raw: string, min: number): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw usageError(`${what}: expected a whole number >= ${min}, got '${raw}'`);
  return n;
}
