// The body of `alto predict`: given whole with `--json`, or assembled from `--input NAME=@FILE`
// files that each hold one tensor object.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { usageError } from '../exit.ts';

/** `--json` text or `@FILE`, parsed; it must be a JSON object. */
export function bodyFromJson(raw: string, cwd: string): Record<string, unknown> {
  const [text, from] = raw.startsWith('@') ? [readText(raw.slice(1), cwd, '--json'), raw.slice(1)] : [raw, undefined];
  const value = parseJson(text, from ? `--json @${from}` : '--json');
  if (!isObject(value))
    throw usageError(
      `${from ? `--json @${from}` : '--json'}: expected a JSON object such as {"input": {...}}, got ${kindOf(value)}`,
    );
  return value;
}

/** `["x=@x.json", "mask=@m.json"]` → `{input: {x: <x.json>, mask: <m.json>}}`. */
export function bodyFromInputs(specs: readonly string[], cwd: string): { input: Record<string, unknown> } {
  const input = new Map<string, unknown>();
  for (const spec of specs) {
    const m = /^([^=]+)=@(.+)$/.exec(spec);
    if (!m) throw usageError(`--input: expected NAME=@FILE such as x=@x.json, got '${spec}'`);
    const [, name, file] = m as unknown as [string, string, string];
    const what = `--input ${name}=@${file}`;
    if (input.has(name)) throw usageError(`--input: input '${name}' given twice`);
    const tensor = parseJson(readText(file, cwd, what), what);
    if (!isObject(tensor) || !('datatype' in tensor) || !('shape' in tensor)) {
      throw usageError(
        `${what}: expected a tensor object {"datatype", "shape", "data"}, got ${kindOf(tensor, ['datatype', 'shape'])}`,
      );
    }
    input.set(name, tensor);
  }
  return { input: Object.fromEntries(input) };
}

function readText(file: string, cwd: string, what: string): string {
  try {
    return readFileSync(resolve(cwd, file), 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw usageError(`${what}: cannot read '${file}': ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw usageError(`${what}: not valid JSON (${(err as Error).message})`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function kindOf(v: unknown, wanted: string[] = []): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (isObject(v)) {
    const missing = wanted.filter((k) => !(k in v));
    return missing.length ? `an object without ${missing.map((k) => `"${k}"`).join(' or ')}` : 'an object';
  }
  return `a ${typeof v} ${JSON.stringify(v)}`;
}
