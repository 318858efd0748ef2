// A simulated accelerator, for tests and benchmarks only: a batch of n rows takes
// `a_ms + b_ms·n` of wall time on a timer (no CPU), and its output is a fixed function of its
// input, so many workers fit on one small machine and every answer stays checkable.
// Not an inference backend: it runs no model.
import { readFile } from 'node:fs/promises';
import type { Executor } from './executor.ts';
import type { RunResult } from './session-thread.ts';
import type { IoMeta, RawTensor } from './thread-protocol.ts';

/**
 * A `model.sim` file (JSON): one float32 input `[-1, width]` and one float32 output of the
 * same shape, `y = 2·x + 1` element-wise, and the simulated cost of a batch.
 */
export interface SimModel {
  /** @default 'x' */
  input: string;
  /** @default 'y' */
  output: string;
  width: number;
  /** Fixed cost of a batch, in ms. */
  a_ms: number;
  /** Cost of each row of a batch, in ms. */
  b_ms: number;
}

const SIM_FIELDS = ['input', 'output', 'width', 'a_ms', 'b_ms'];

/** Checks a parsed `model.sim`; errors name the file and the field. */
export function toSimModel(json: unknown, where: string): SimModel {
  const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const bad = (field: string, want: string) =>
    new Error(`${where}: '${field}' must be ${want}, got ${JSON.stringify(o[field])}`);
  for (const k of Object.keys(o))
    if (!SIM_FIELDS.includes(k)) throw new Error(`${where}: unknown field '${k}' (fields: ${SIM_FIELDS.join(', ')})`);
  const num = (k: string, lo: number, hi: number, int = false) => {
    const v = o[k];
    if (typeof v !== 'number' || v < lo || v > hi || (int && !Number.isInteger(v)))
      throw bad(k, `a${int ? 'n integer' : ' number'} in [${lo}, ${hi}]`);
    return v;
  };
  const str = (k: string, d: string) => {
    const v = o[k] ?? d;
    if (typeof v !== 'string' || v === '') throw bad(k, 'a tensor name');
    return v;
  };
  return {
    input: str('input', 'x'),
    output: str('output', 'y'),
    width: num('width', 1, 65_536, true),
    a_ms: num('a_ms', 0, 60_000),
    b_ms: num('b_ms', 0, 60_000),
  };
}

/** The simulated model's function: y = 2·x + 1, element-wise. */
const simForward = (x: Float32Array): Float32Array => x.map((v) => 2 * v + 1);

/** Wall time of a batch of `rows` rows. */
const simBatchMs = (m: SimModel, rows: number): number => m.a_ms + m.b_ms * rows;

export interface SimExecutorOptions {
  /** The model, or the path of its `model.sim` file. */
  model: SimModel | string;
  /** Batches simulated at once. @default 1 */
  slots?: number;
}

export class SimExecutor implements Executor {
  readonly inputs: IoMeta[];
  readonly outputs: IoMeta[];
  readonly slots: number;
  private busy = 0;
  private readonly timers = new Set<{ timer: NodeJS.Timeout; reject: (e: Error) => void }>();
  private closed = false;

  private constructor(
    readonly model: SimModel,
    slots: number,
  ) {
    this.slots = slots;
    this.inputs = [{ name: model.input, type: 'float32', shape: ['batch', model.width] }];
    this.outputs = [{ name: model.output, type: 'float32', shape: ['batch', model.width] }];
  }

  static async create(options: SimExecutorOptions): Promise<SimExecutor> {
    const { model } = options;
    const parsed =
      typeof model === 'string' ? parseSimModel(await readFile(model, 'utf8'), model) : toSimModel(model, 'sim model');
    return new SimExecutor(parsed, options.slots ?? 1);
  }

  get busyCount(): number {
    return this.busy;
  }

  run(feeds: Record<string, RawTensor>): Promise<RunResult> {
    if (this.closed) return Promise.reject(new Error('sim executor is closed'));
    const { input, output, width } = this.model;
    const x = feeds[input];
    if (!x) return Promise.reject(new Error(`sim model: missing input '${input}'`));
    const rows = x.dims[0] ?? 0;
    if (x.type !== 'float32' || x.dims.length !== 2 || x.dims[1] !== width || x.data.byteLength !== rows * width * 4)
      return Promise.reject(
        new Error(`sim model: input '${input}': expected float32 [n,${width}], got ${x.type} [${x.dims.join(',')}]`),
      );
    const y = simForward(new Float32Array(x.data));
    const ms = simBatchMs(this.model, rows);
    this.busy++;
    return new Promise<RunResult>((resolve, reject) => {
      const entry = {
        reject,
        timer: setTimeout(() => {
          this.timers.delete(entry);
          this.busy--;
          resolve({
            outputs: { [output]: { type: 'float32', dims: [rows, width], data: y.buffer as ArrayBuffer } },
            ms,
          });
        }, ms),
      };
      this.timers.add(entry);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.timers) {
      clearTimeout(entry.timer);
      entry.reject(new Error('sim executor closed'));
    }
    this.timers.clear();
    this.busy = 0;
  }
}

/** Parses a `model.sim` file's text; errors name the file and the field. */
export function parseSimModel(text: string, where: string): SimModel {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: not JSON (${(err as Error).message})`, { cause: err });
  }
  return toSimModel(json, where);
}
