// A text model's pipeline around its network, run in the worker next to the batch: texts
// (a BYTES input) are tokenized, padded to the longest of each length group and fed to the
// network; its per-token output is pooled (and L2-normalised) into one vector per text.
// It is an Executor, so the worker batches onto it as onto any model; config.json declares
// it (PipelineSchema), and no user code runs here.
import { AltoError, bytesStrings, type PipelineConfig } from '@alto/protocol';
import type { Executor } from '../executor.ts';
import type { RunResult } from '../session-thread.ts';
import type { IoMeta, RawTensor } from '../thread-protocol.ts';
import { TOKEN_INPUTS, buildFeatures, type TokenInput } from './features.ts';
import { lengthGroups } from './length-groups.ts';
import { normalizeRows, pool } from './pooling.ts';
import type { TextTokenizer, TokenizedText } from './tokenizer.ts';

export interface PipelineExecutorOptions {
  /** The network: takes some of TOKEN_INPUTS, INT64 [batch, seq]. */
  network: Executor;
  pipeline: PipelineConfig;
  tokenizer: TextTokenizer;
  /** Names the model in load errors, e.g. "model 'minilm'". */
  where: string;
}

export class PipelineExecutor implements Executor {
  readonly inputs: IoMeta[];
  readonly outputs: IoMeta[];
  private readonly wanted: TokenInput[];

  private constructor(private readonly o: PipelineExecutorOptions) {
    const { network, pipeline, where } = o;
    const names = network.inputs.map((i) => i.name);
    for (const input of network.inputs) {
      if (!(TOKEN_INPUTS as readonly string[]).includes(input.name) || input.type !== 'int64') {
        throw new Error(
          `${where}: network input '${input.name}' (${input.type}) is not one a tokenizer feeds; ` +
            `expected some of ${TOKEN_INPUTS.join(', ')}, each int64 [batch, seq]`,
        );
      }
    }
    if (!names.includes('input_ids')) {
      throw new Error(`${where}: the network has no input 'input_ids'; its inputs are ${names.join(', ') || 'none'}`);
    }
    this.wanted = names as TokenInput[];
    this.inputs = [{ name: pipeline.tokenizer.input, type: 'string', shape: [-1] }];
    const pooling = pipeline.pooling;
    if (!pooling) {
      this.outputs = network.outputs;
      return;
    }
    const pooled = network.outputs.find((out) => out.name === pooling.input);
    if (!pooled || pooled.type !== 'float32' || pooled.shape.length !== 3) {
      const has = network.outputs.map((out) => `${out.name} ${out.type} [${out.shape.join(',')}]`).join(', ');
      throw new Error(
        `${where}: pooling.input '${pooling.input}' must be a float32 network output [batch, seq, hidden]; ` +
          `the network's outputs are ${has}`,
      );
    }
    const width = pooled.shape[2];
    this.outputs = [{ name: pooling.output, type: 'float32', shape: [-1, typeof width === 'number' ? width : -1] }];
  }

  /** Wraps `network`; throws when its tensors do not fit the pipeline. */
  static create(options: PipelineExecutorOptions): PipelineExecutor {
    return new PipelineExecutor(options);
  }

  get slots(): number {
    return this.o.network.slots;
  }

  get busyCount(): number {
    return this.o.network.busyCount;
  }

  async run(feeds: Record<string, RawTensor>): Promise<RunResult> {
    const { pipeline, tokenizer } = this.o;
    const name = pipeline.tokenizer.input;
    const text = feeds[name];
    if (!text || text.type !== 'string') throw new Error(`input '${name}': expected a BYTES tensor of texts`);
    const texts = bytesStrings(new Uint8Array(text.data));
    if (!texts) throw new AltoError('invalid_input', `input '${name}': an element is not valid UTF-8`);
    const encoded = await tokenizer.encodeBatch(texts);
    const pooling = pipeline.pooling;
    if (!pooling) return this.runGroup(encoded);
    const groups = lengthGroups(encoded.map((e) => e.ids.length));
    let width = 0;
    let out = new Float32Array(0);
    let ms = 0;
    for (const group of groups) {
      const rows = group.map((i) => encoded[i]!);
      const features = buildFeatures(rows, this.wanted, tokenizer.padId);
      const result = await this.o.network.run(features.feeds as Record<string, RawTensor>);
      ms += result.ms;
      const hidden = result.outputs[pooling.input];
      if (!hidden || hidden.dims.length !== 3 || hidden.dims[0] !== rows.length || hidden.dims[1] !== features.seq) {
        throw new Error(
          `output '${pooling.input}': expected [${rows.length},${features.seq},hidden], got [${hidden?.dims.join(',')}]`,
        );
      }
      const dims = hidden.dims as [number, number, number];
      const pooled = pool(pooling.mode, new Float32Array(hidden.data), dims, features.mask);
      if (pooling.normalize) normalizeRows(pooled, dims[2]);
      if (out.length === 0) {
        width = dims[2];
        out = new Float32Array(texts.length * width);
      }
      group.forEach((row, j) => out.set(pooled.subarray(j * width, (j + 1) * width), row * width));
    }
    return { outputs: { [pooling.output]: { type: 'float32', dims: [texts.length, width], data: out.buffer } }, ms };
  }

  /** Without pooling the network's own outputs come back: one run, every row padded alike. */
  private runGroup(encoded: TokenizedText[]): Promise<RunResult> {
    const features = buildFeatures(encoded, this.wanted, this.o.tokenizer.padId);
    return this.o.network.run(features.feeds as Record<string, RawTensor>);
  }

  close(): Promise<void> {
    return this.o.network.close();
  }
}
