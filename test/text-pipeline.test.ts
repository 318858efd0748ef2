// A text model's pipeline end to end through real processes: texts in as a BYTES tensor (or
// via /embed), tokenized by the worker with the checkpoint's tokenizer.json, fed to a real
// onnxruntime network, mean/CLS-pooled and normalised. The expected vectors come from a
// WordPiece tokenizer and a table lookup written out by hand in test/support/text-model.ts.
import { PipelineSchema } from '@alto/protocol';
import { OnnxExecutor, PipelineExecutor, loadTokenizer } from '@alto/runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { getJson, postJson } from './support/http.ts';
import { waitFor } from './support/wait.ts';
import {
  HIDDEN,
  embeddingConfig,
  lookupModel,
  referenceEmbedding,
  stringIdentityModel,
  referenceIds,
  textRepository,
  tinyTokenizerJson,
} from './support/text-model.ts';

const MAX_LENGTH = 16;

const expectVectors = (got: number[][], want: number[][]) => {
  expect(got).toHaveLength(want.length);
  got.forEach((row, i) => {
    expect(row).toHaveLength(HIDDEN);
    row.forEach((v, k) => expect(v).toBeCloseTo(want[i]![k]!, 5));
  });
};

describe('text pipeline', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('textpipe');
  const repo = textRepository();
  let worker: Proc;
  let gateway: Proc & { url: string };

  beforeAll(async () => {
    const tokenizer = tinyTokenizerJson();
    repo.add('minilm', {
      'model.onnx': lookupModel(),
      'tokenizer.json': tokenizer,
      'config.json': embeddingConfig({ mode: 'mean', normalize: true }, MAX_LENGTH),
    });
    repo.add('cls', {
      'model.onnx': lookupModel(),
      'tokenizer.json': tokenizer,
      'config.json': embeddingConfig({ mode: 'cls', normalize: false }, MAX_LENGTH),
    });
    repo.add('tokens', {
      'model.onnx': lookupModel(),
      'tokenizer.json': tokenizer,
      'config.json': JSON.stringify({ pipeline: { tokenizer: { max_length: MAX_LENGTH } } }),
    });
    worker = await startWorker(redisUrl, prefix, { ALTO_MODEL_REPOSITORY: repo.dir });
    gateway = await startGateway(redisUrl, prefix);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill()]);
  });

  it('shows the text input and the embedding output as the model’s public tensors', async () => {
    const r = await getJson(`${gateway.url}/v1/models/minilm`);
    expect(r.status).toBe(200);
    expect(r.body.inputs).toEqual([{ name: 'text', datatype: 'BYTES', shape: [-1], text: true }]);
    expect(r.body.outputs).toEqual([{ name: 'embedding', datatype: 'FP32', shape: [-1, HIDDEN] }]);
  });

  it('embeds a BYTES tensor of texts: mean over the attention mask, L2-normalised', async () => {
    const texts = ['a cat sits', 'a kitten sits', 'Unbelievable!'];
    const r = await postJson(
      `${gateway.url}/v1/models/minilm/predictions`,
      { input: { text: { datatype: 'BYTES', shape: [texts.length], data: texts } } },
      { prefer: 'wait=30' },
    );
    expect(r.status).toBe(200);
    expect(r.body.output.embedding.shape).toEqual([texts.length, HIDDEN]);
    const flat = r.body.output.embedding.data as number[];
    const rows = texts.map((_, i) => flat.slice(i * HIDDEN, (i + 1) * HIDDEN));
    expectVectors(
      rows,
      texts.map((t) => referenceEmbedding(referenceIds(t, MAX_LENGTH), 'mean', true)),
    );
  });

  it('pads to the longest text of the batch and truncates at max_length', async () => {
    const long = Array.from({ length: 40 }, () => 'the dog runs').join(' ');
    const texts = ['a', long, 'cat', ''];
    const r = await postJson(`${gateway.url}/v1/models/minilm/embed`, { texts });
    expect(r.status).toBe(200);
    expectVectors(
      r.body.embeddings,
      texts.map((t) => referenceEmbedding(referenceIds(t, MAX_LENGTH), 'mean', true)),
    );
    expect(referenceIds(long, MAX_LENGTH)).toHaveLength(MAX_LENGTH);
  });

  it('batches concurrent requests of different lengths and returns each its own vectors', async () => {
    const texts = Array.from({ length: 24 }, (_, i) =>
      i % 3 === 0 ? Array.from({ length: i + 1 }, () => 'kitten').join(' ') : `a cat sits on mat ${i % 2 ? 'dog' : ''}`,
    );
    const replies = await Promise.all(
      texts.map((t) => postJson(`${gateway.url}/v1/models/minilm/embed`, { texts: [t] })),
    );
    replies.forEach((r, i) => {
      expect(r.status).toBe(200);
      expectVectors(r.body.embeddings, [referenceEmbedding(referenceIds(texts[i]!, MAX_LENGTH), 'mean', true)]);
    });
  });

  it('answers /embed with 202 and the prediction to poll when the wait runs out first', async () => {
    worker.child.kill('SIGSTOP');
    let reply;
    try {
      reply = await postJson(`${gateway.url}/v1/models/minilm/embed`, { texts: ['a cat'] }, { prefer: 'wait=1' });
    } finally {
      worker.child.kill('SIGCONT');
    }
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ model: 'minilm', status: 'queued' });
    // A held GET answers at each change of status (queued → running → succeeded): polled to the end.
    const done = await waitFor(
      async () => {
        const r = await getJson(`${gateway.url}/v1/predictions/${reply.body.id}`, { prefer: 'wait=10' });
        return ['succeeded', 'failed'].includes(r.body.status) ? r : undefined;
      },
      { what: `prediction ${reply.body.id}`, timeoutMs: 60_000 },
    );
    expect(done.body.status).toBe('succeeded');
    expectVectors(
      [done.body.output.embedding.data],
      [referenceEmbedding(referenceIds('a cat', MAX_LENGTH), 'mean', true)],
    );
  });

  it('pools the first token with mode cls', async () => {
    const r = await postJson(`${gateway.url}/v1/models/cls/embed`, { texts: ['a cat', 'dog'] });
    expect(r.status).toBe(200);
    expectVectors(
      r.body.embeddings,
      ['a cat', 'dog'].map((t) => referenceEmbedding(referenceIds(t, MAX_LENGTH), 'cls', false)),
    );
  });

  it('without pooling, serves the network’s own outputs, padded to the longest text', async () => {
    const meta = await getJson(`${gateway.url}/v1/models/tokens`);
    expect(meta.body.outputs).toEqual([{ name: 'last_hidden_state', datatype: 'FP32', shape: [-1, -1, HIDDEN] }]);
    const r = await postJson(
      `${gateway.url}/v1/models/tokens/predictions`,
      { input: { text: { datatype: 'BYTES', shape: [2], data: ['cat', 'a cat sits'] } } },
      { prefer: 'wait=30' },
    );
    expect(r.status).toBe(200);
    expect(r.body.output.last_hidden_state.shape).toEqual([2, referenceIds('a cat sits').length, HIDDEN]);
  });

  it('refuses /embed on a model whose pipeline does not end in pooling, naming its tensors', async () => {
    const r = await postJson(`${gateway.url}/v1/models/tokens/embed`, { texts: ['a'] });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_input');
    expect(r.body.error.message).toContain("model 'tokens': /embed needs a text pipeline that ends in pooling");
    expect(r.body.error.message).toContain('last_hidden_state FP32 [-1,-1,8]');
  });

  it('refuses texts that are not strings and bodies that are not {"texts": [...]}', async () => {
    const notString = await postJson(`${gateway.url}/v1/models/minilm/embed`, { texts: ['a', 3] });
    expect(notString.status).toBe(400);
    expect(notString.body.error.message).toMatch(/^field 'texts\.1': /);
    const stray = await postJson(`${gateway.url}/v1/models/minilm/embed`, { texts: ['a'], extra: 1 });
    expect(stray.status).toBe(400);
    const data = await postJson(`${gateway.url}/v1/models/minilm/predictions`, {
      input: { text: { datatype: 'BYTES', shape: [2], data: ['a', 7] } },
    });
    expect(data.status).toBe(400);
    expect(data.body.error.message).toBe("input 'text': data element 1 is 7, expected a string for BYTES");
  });

  it('refuses text input that is not UTF-8', async () => {
    const bad = Buffer.from([2, 0, 0, 0, 0xc3, 0x28]).toString('base64');
    const r = await postJson(`${gateway.url}/v1/models/minilm/predictions`, {
      input: { text: { datatype: 'BYTES', shape: [1], b64: bad } },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe("input 'text': element 0 is not valid UTF-8; the model takes text");
  });
});

describe('text pipeline load checks', () => {
  const repo = textRepository();
  repo.add('lookup', { 'model.onnx': lookupModel() });
  repo.add('echo', { 'model.onnx': stringIdentityModel() });
  const tokenizer = loadTokenizer(tinyTokenizerJson(), MAX_LENGTH, 'tiny');
  const open = (name: string) =>
    OnnxExecutor.create({ path: `${repo.dir}/${name}/1/model.onnx`, session: { executionProviders: ['cpu'] } });

  it('refuses a network with an input a tokenizer does not feed', async () => {
    const network = await open('echo');
    try {
      const pipeline = PipelineSchema.parse({ tokenizer: {} });
      expect(() => PipelineExecutor.create({ network, pipeline, tokenizer, where: "model 'echo'" })).toThrow(
        "model 'echo': network input 's' (string) is not one a tokenizer feeds; " +
          'expected some of input_ids, attention_mask, token_type_ids, each int64 [batch, seq]',
      );
    } finally {
      await network.close();
    }
  });

  it('refuses pooling of an output the network does not have', async () => {
    const network = await open('lookup');
    try {
      const pipeline = PipelineSchema.parse({ tokenizer: {}, pooling: { mode: 'mean', input: 'hidden' } });
      expect(() => PipelineExecutor.create({ network, pipeline, tokenizer, where: "model 'lookup'" })).toThrow(
        "model 'lookup': pooling.input 'hidden' must be a float32 network output [batch, seq, hidden]; " +
          "the network's outputs are last_hidden_state float32 [batch,seq,8]",
      );
    } finally {
      await network.close();
    }
  });
});
