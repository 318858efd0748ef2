// The serving settings `publish` and `update` share: their flags, and the request fields
// they become. Ranges are checked here only as far as the flag's meaning goes; the admin API
// decides the rest and says why it refuses.
import type { Flags, OptionSpecs } from '../args.ts';
import { parseBytes } from '../bytes.ts';
import { usageError } from '../exit.ts';
import type { ModelSettings } from '../views.ts';

export const SETTING_OPTIONS: OptionSpecs = {
  replicas: {
    kind: 'string',
    value: 'N',
    help: 'workers that should serve the model (0 keeps it published but unloaded)',
  },
  version: { kind: 'string', value: 'V', help: 'pin this version instead of following the newest complete one' },
  'max-batch-size': { kind: 'string', value: 'N', help: 'largest micro-batch a worker runs' },
  'max-queue-delay-ms': { kind: 'string', value: 'N', help: 'how long a worker waits to fill a batch' },
  'max-queue-length': {
    kind: 'string',
    value: 'N',
    help: 'outstanding predictions before new ones get 429 queue_full',
  },
  'timeout-ms': { kind: 'string', value: 'N', help: 'default deadline of a prediction, from submission' },
  memory: { kind: 'string', value: 'BYTES', help: 'memory one replica needs, e.g. 1073741824, 512MiB, 1.5GiB' },
  constraint: {
    kind: 'string',
    multiple: true,
    value: 'KEY=VALUE',
    help: 'place only on workers with this tag, e.g. zone=b (repeatable)',
  },
  accelerator: {
    kind: 'string',
    value: 'KIND',
    help: 'run on a device of this kind: cpu, gpu or tpu (the constraint accelerator=KIND)',
  },
  runtime: { kind: 'string', value: 'NAME', help: 'run with this executor: onnx or xla (the constraint runtime=NAME)' },
  'execution-provider': { kind: 'string', value: 'NAME', help: 'onnxruntime execution provider: cpu, cuda, ...' },
};

/** Flags that set a constraint with a closed set of values (the admin API checks the same sets). */
const CONSTRAINT_FLAGS: [string, readonly string[]][] = [
  ['accelerator', ['cpu', 'gpu', 'tpu']],
  ['runtime', ['onnx', 'xla']],
];

export function settingsFromFlags(flags: Flags): ModelSettings {
  const s: ModelSettings = {};
  const set = <K extends keyof ModelSettings>(key: K, value: ModelSettings[K] | undefined) => {
    if (value !== undefined) s[key] = value;
  };
  set('replicas', flags.int('replicas', 0));
  set('version', nonEmpty(flags, 'version'));
  set('max_batch_size', flags.int('max-batch-size', 1));
  set('max_queue_delay_ms', flags.int('max-queue-delay-ms', 0));
  set('max_queue_length', flags.int('max-queue-length', 1));
  set('timeout_ms', flags.int('timeout-ms', 1));
  const memory = flags.string('memory');
  set('memory_bytes', memory === undefined ? undefined : parseBytes(memory, '--memory'));
  if (flags.has('constraint')) s.constraints = parseConstraints(flags.list('constraint'));
  for (const [flag, allowed] of CONSTRAINT_FLAGS) {
    const value = nonEmpty(flags, flag);
    if (value === undefined) continue;
    if (!allowed.includes(value)) throw usageError(`--${flag}: expected one of ${allowed.join(', ')}, got '${value}'`);
    const given = s.constraints?.[flag];
    if (given !== undefined && given !== value)
      throw usageError(`--${flag} ${value} contradicts --constraint ${flag}=${given}`);
    s.constraints = { ...s.constraints, [flag]: value };
  }
  set('execution_provider', nonEmpty(flags, 'execution-provider'));
  return s;
}

function nonEmpty(flags: Flags, name: string): string | undefined {
  const v = flags.string(name);
  if (v !== undefined && v.trim() === '') throw usageError(`--${name}: expected a value, got ''`);
  return v;
}

/** `["accelerator=gpu", "zone=a"]` → `{accelerator: "gpu", zone: "a"}`. */
export function parseConstraints(pairs: readonly string[]): Record<string, string> {
  const out = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? '' : pair.slice(0, eq).trim();
    const value = eq === -1 ? '' : pair.slice(eq + 1).trim();
    if (!key || !value) throw usageError(`--constraint: expected KEY=VALUE such as accelerator=gpu, got '${pair}'`);
    if (out.has(key)) throw usageError(`--constraint: key '${key}' given twice ('${out.get(key)}' and '${value}')`);
    out.set(key, value);
  }
  return Object.fromEntries(out);
}
