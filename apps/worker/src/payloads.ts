// Tensors by reference in the worker (docs/payloads.md): inputs named by URI are read — all of
// a batch's at once, from when its entries are read, so the downloads overlap other batches'
// inference — and checked against the request and the model; outputs go to objects when the
// request gave output_uri, or when they are larger than ALTO_INLINE_OUTPUT_MAX_BYTES and an
// output root is set. A failure fails that prediction alone with a stable code; nothing is
// retried beyond a few tries of a transient storage error.
import {
  DATATYPE_INFO,
  PredictionFailure,
  decodeTensors,
  encodeTensors,
  fmtShape,
  isNpyUri,
  OUTPUT_URI_ENTRY,
  sameShape,
  splitOutputUri,
  type ModelInfo,
  type OutcomeCode,
  type Tensor,
  type TensorMap,
} from '@alto/protocol';
import { NpyError, PayloadError, PayloadStore, joinObjectUri, readNpy, writeNpy } from '@alto/repository';
import type { WorkerEnv } from './env.ts';

export interface PayloadOptions {
  store: PayloadStore;
  /** Folder for outputs over `inlineMaxBytes` (ALTO_PAYLOAD_OUTPUT_ROOT). @default none: inline */
  outputRoot?: string;
  /** Most output bytes a prediction keeps inline when `outputRoot` is set. */
  inlineMaxBytes: number;
}

/** The worker's payloads as its environment configures them. */
export const payloadsOf = (env: WorkerEnv): Payloads =>
  new Payloads({
    store: new PayloadStore({ roots: env.ALTO_PAYLOAD_ROOTS, maxBytes: env.ALTO_PAYLOAD_MAX_BYTES }),
    ...(env.ALTO_PAYLOAD_OUTPUT_ROOT ? { outputRoot: env.ALTO_PAYLOAD_OUTPUT_ROOT } : {}),
    inlineMaxBytes: env.ALTO_INLINE_OUTPUT_MAX_BYTES,
  });

/** Tries of a read or write that fails with a storage error (not a missing object). */
const TRIES = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tried<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (!(err instanceof PayloadError) || err.code !== 'storage_error' || attempt >= TRIES) throw err;
      await sleep(100 * 2 ** attempt);
    }
  }
}

const INPUT_CODE: Record<PayloadError['code'], OutcomeCode> = {
  not_found: 'input_not_found',
  too_large: 'input_too_large',
  uri_not_allowed: 'input_invalid',
  invalid_uri: 'input_invalid',
  storage_error: 'input_unreadable',
};

/** What a request's entry brings once its references are read. */
export interface ResolvedEntry {
  inputs: TensorMap;
  /** The request's output_uri, if any. */
  outputUri: string | undefined;
  /** Whether its outputs may be answered by URI (large ones then go to the output root). */
  byReference: boolean;
}

/** Whether the entry's tensors hold an input by reference (not just where its outputs go). */
export const hasReferences = (inputs: TensorMap): boolean => {
  for (const [name, t] of inputs) if (t.ref && name !== OUTPUT_URI_ENTRY) return true;
  return false;
};

export class Payloads {
  constructor(private readonly o: PayloadOptions) {}

  /** Whether outputs may go to objects without the request asking (an output root is set). */
  get hasOutputRoot(): boolean {
    return this.o.outputRoot !== undefined;
  }

  /**
   * Reads every input given by reference and checks it; throws PredictionFailure (its code one
   * of input_not_found, input_too_large, input_invalid, input_unreadable) naming the input.
   */
  async resolve(entry: TensorMap, info: ModelInfo): Promise<ResolvedEntry> {
    const { inputs, outputUri, byReference } = splitOutputUri(entry);
    if (!hasReferences(inputs)) return { inputs, outputUri, byReference };
    const read = await Promise.all(
      [...inputs].map(async ([name, t]) => [name, t.ref ? await this.read(name, t) : t] as const),
    );
    const resolved: TensorMap = new Map(read);
    checkAgainstModel(resolved, info);
    return { inputs: resolved, outputUri, byReference };
  }

  private async read(name: string, t: Tensor): Promise<Tensor> {
    const uri = t.ref!.uri;
    let bytes: Buffer;
    try {
      bytes = await tried(() => this.o.store.read(uri));
    } catch (err) {
      if (!(err instanceof PayloadError)) throw err;
      throw new PredictionFailure(INPUT_CODE[err.code], `input '${name}': ${err.message}`);
    }
    const invalid = (why: string) => new PredictionFailure('input_invalid', `input '${name}': ${why}`);
    if (isNpyUri(uri)) {
      let a;
      try {
        a = readNpy(bytes, uri);
      } catch (err) {
        if (err instanceof NpyError) throw invalid(err.message);
        throw err;
      }
      if (a.datatype !== t.datatype) throw invalid(`${uri} holds ${a.datatype}, expected ${t.datatype}`);
      if (t.ref!.shaped && !sameShape(a.shape, t.shape)) {
        throw invalid(`${uri} has shape ${fmtShape(a.shape)}, the request says ${fmtShape(t.shape)}`);
      }
      return { datatype: a.datatype, shape: a.shape, data: a.data };
    }
    const count = t.shape.reduce((n, d) => n * d, 1);
    const need = count * DATATYPE_INFO[t.datatype].size;
    if (bytes.length !== need) {
      throw invalid(`${uri} is ${bytes.length} bytes, shape ${fmtShape(t.shape)} of ${t.datatype} needs ${need}`);
    }
    return { datatype: t.datatype, shape: t.shape, data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) };
  }

  /**
   * The prediction's encoded outputs, with each tensor written to an object and replaced by its
   * URI when the request gave output_uri, or when they total more than inlineMaxBytes, an output
   * root is set and the request's protocol answers outputs by URI (`to.byReference`); otherwise
   * `encoded` itself. Throws PredictionFailure output_write_failed.
   */
  async place(
    predictionId: string,
    encoded: Buffer,
    to: Pick<ResolvedEntry, 'outputUri' | 'byReference'>,
  ): Promise<Buffer> {
    const { outputUri } = to;
    const base = outputUri ?? (to.byReference ? this.o.outputRoot : undefined);
    if (base === undefined) return encoded;
    const outputs = decodeTensors(encoded);
    if (outputUri === undefined) {
      let bytes = 0;
      for (const t of outputs.values()) bytes += t.data.byteLength;
      if (bytes <= this.o.inlineMaxBytes) return encoded;
    }
    const placed: TensorMap = new Map();
    await Promise.all(
      [...outputs].map(async ([name, t]) => {
        const uri = joinObjectUri(base, `${predictionId}/${objectName(name)}.npy`);
        try {
          await tried(() => this.o.store.write(uri, writeNpy(t)));
        } catch (err) {
          if (!(err instanceof PayloadError)) throw err;
          throw new PredictionFailure('output_write_failed', `output '${name}': ${err.message}`);
        }
        placed.set(name, { datatype: t.datatype, shape: t.shape, data: new Uint8Array(0), ref: { uri, shaped: true } });
      }),
    );
    // In the outputs' own order, whatever order the writes finished in.
    return encodeTensors(new Map([...outputs.keys()].map((n) => [n, placed.get(n)!])));
  }
}

/** An output name as an object name: anything but letters, digits, `.`, `_` and `-` percent-encoded. */
export const objectName = (name: string): string =>
  name.replace(/[^A-Za-z0-9._-]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );

/** The resolved inputs against the model, as the gateway checks inline ones: dims, batch size, rows. */
function checkAgainstModel(inputs: TensorMap, info: ModelInfo): void {
  const batching = info.batching.max_batch_size > 0;
  let rows: [number, string] | undefined;
  for (const spec of info.inputs) {
    const t = inputs.get(spec.name);
    if (!t) continue;
    const invalid = (why: string) => new PredictionFailure('input_invalid', `input '${spec.name}': ${why}`);
    const fits = t.shape.length === spec.shape.length && spec.shape.every((d, i) => d === -1 || d === t.shape[i]);
    if (!fits) throw invalid(`expected shape ${fmtShape(spec.shape)}, got ${fmtShape(t.shape)}`);
    if (!batching) continue;
    const n = t.shape[0]!;
    if (n < 1 || n > info.batching.max_batch_size) {
      throw invalid(`batch size ${n} is not within 1..${info.batching.max_batch_size} (max_batch_size)`);
    }
    if (rows && rows[0] !== n) throw invalid(`batch size ${n} differs from input '${rows[1]}' batch size ${rows[0]}`);
    rows ??= [n, spec.name];
  }
}
