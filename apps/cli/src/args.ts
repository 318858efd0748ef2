// Command-line flags, read by node:util's parseArgs: `--name value`, `--name=value`, booleans,
// flags whose value is optional (`--wait` or `--wait=10`, never `--wait 10`, so a positional
// is not swallowed), repeatable flags, and `--` to end flags. parseArgs runs lenient and its
// tokens are checked here, so that every mistake is a usage error that names the flag.
import { parseArgs as parseTokens, type ParseArgsConfig } from 'node:util';
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
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries(specs)) {
    // An optional value is never taken from the next token: to parseArgs it is a boolean.
    options[name] = { type: spec.kind === 'string' ? 'string' : 'boolean', multiple: spec.multiple ?? false };
  }
  const unknown = (raw: string, name: string) => {
    const guess = closest(name, Object.keys(specs));
    return usageError(`unknown flag ${raw} for '${where}'${guess ? ` (did you mean --${guess}?)` : ''}`);
  };
  const end = argv.indexOf('--');
  // parseArgs splits `-abc` into -a -b -c; no flag here has a short form, so it is one unknown flag.
  const grouped = argv.slice(0, end === -1 ? undefined : end).find((a) => /^-[^-].+/.test(a) && a !== '-h');
  if (grouped) throw unknown(grouped, grouped.slice(1));
  const { tokens } = parseTokens({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const positionals: string[] = [];
  const values = new Map<string, string | true | string[]>();
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    if (token.rawName === '-h') {
      values.set('help', true);
      continue;
    }
    const spec = token.rawName.startsWith('--') ? specs[token.name] : undefined;
    if (!spec) throw unknown(token.rawName, token.name);
    const name = token.name;
    let value: string | true;
    if (token.inlineValue) {
      if (spec.kind === 'boolean') throw usageError(`flag --${name} takes no value, got '${token.value}'`);
      value = token.value!;
    } else if (spec.kind === 'string') {
      // Lenient parseArgs takes the next token whatever it is; a flag is not a value.
      if (token.value === undefined || token.value.startsWith('--')) {
        throw usageError(`flag --${name} needs a value (--${name} ${spec.value ?? 'VALUE'})`);
      }
      value = token.value;
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
