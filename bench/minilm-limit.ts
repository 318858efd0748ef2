// The `minilm` limit: the same ONNX model run directly in this process with the same intra-op
// threads as one worker, the texts tokenized by the worker's own tokenizer (@alto/runtime's
// loadTokenizer) and mean-pooled as the pipeline does. Per workload (a list of texts run as
// one batch, padded to its longest), sentences/s end to end and for session.run alone.
// Prints one JSON line: { [workload]: { batch, tokens, sentencesPerSecond, networkOnly } }.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { loadTokenizer, normalizeRows, pool } from '@alto/runtime';

export interface MiniLmLimitSpec {
  /** The version folder: model.onnx, tokenizer.json. */
  versionDir: string;
  threads: number;
  seconds: number;
  /** Workloads: each a batch of texts. */
  workloads: Record<string, string[]>;
}

export interface MiniLmLimitRow {
  batch: number;
  /** Tokens of the padded batch (rows × longest). */
  tokens: number;
  /** Tokenize + run + pool, sentences per second. */
  sentencesPerSecond: number;
  /** session.run alone on pre-tokenized ids, sentences per second. */
  networkOnly: number;
}

const spec = JSON.parse(process.argv[2]!) as MiniLmLimitSpec;
const session = await ort.InferenceSession.create(join(spec.versionDir, 'model.onnx'), {
  intraOpNumThreads: spec.threads,
  interOpNumThreads: 1,
});
const tokenizer = loadTokenizer(readFileSync(join(spec.versionDir, 'tokenizer.json'), 'utf8'), 256, 'minilm');

async function feeds(texts: string[]) {
  const rows = await tokenizer.encodeBatch(texts);
  const seq = Math.max(1, ...rows.map((r) => r.ids.length));
  const ids = new BigInt64Array(rows.length * seq).fill(BigInt(tokenizer.padId));
  const mask = new BigInt64Array(rows.length * seq);
  const types = new BigInt64Array(rows.length * seq);
  rows.forEach((r, i) =>
    r.ids.forEach((id, t) => {
      ids[i * seq + t] = BigInt(id);
      mask[i * seq + t] = 1n;
      types[i * seq + t] = BigInt(r.typeIds[t] ?? 0);
    }),
  );
  const dims = [rows.length, seq];
  return {
    seq,
    mask,
    feeds: {
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
      token_type_ids: new ort.Tensor('int64', types, dims),
    },
  };
}

async function endToEnd(texts: string[]): Promise<void> {
  const f = await feeds(texts);
  const out = await session.run(f.feeds);
  const hidden = out.last_hidden_state!;
  const pooled = pool('mean', hidden.data as Float32Array, [texts.length, f.seq, hidden.dims[2]!], f.mask);
  normalizeRows(pooled, hidden.dims[2]!);
}

async function rate(work: () => Promise<unknown>, rows: number): Promise<number> {
  for (let i = 0; i < 3; i++) await work(); // warm-up
  let n = 0;
  const t0 = performance.now();
  const end = t0 + spec.seconds * 1000;
  while (performance.now() < end) {
    await work();
    n++;
  }
  return Math.round(((n * rows) / ((performance.now() - t0) / 1000)) * 10) / 10;
}

const result: Record<string, MiniLmLimitRow> = {};
for (const [name, texts] of Object.entries(spec.workloads)) {
  const f = await feeds(texts);
  result[name] = {
    batch: texts.length,
    tokens: texts.length * f.seq,
    sentencesPerSecond: await rate(() => endToEnd(texts), texts.length),
    networkOnly: await rate(() => session.run(f.feeds), texts.length),
  };
}
process.stdout.write(JSON.stringify(result) + '\n');
