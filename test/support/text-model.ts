// Tiny text checkpoints for tests, written into a temporary model repository: a WordPiece
// tokenizer.json in Hugging Face's format (BERT normaliser and pre-tokeniser, [CLS] … [SEP],
// and padding to 128 switched on, as MiniLM's file has it), a BERT-like ONNX network that
// is an embedding lookup (Gather over a fixed table → last_hidden_state), and a string
// Identity model. The references here are computed independently of Alto's code.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INT64, STRING, encodeModel } from '../../scripts/onnx-writer.ts';

export const VOCAB = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  'a',
  'the',
  'cat',
  'kitten',
  'dog',
  'sits',
  'runs',
  'on',
  'mat',
  'un',
  '##believ',
  '##able',
  '##s',
  '.',
  ',',
  '!',
] as const;
export const HIDDEN = 8;
const id = (token: string): number => VOCAB.indexOf(token as (typeof VOCAB)[number]);

const special = (content: string) => ({
  id: id(content),
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

/** tokenizer.json of the tiny WordPiece vocabulary. */
export function tinyTokenizerJson(): string {
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: {
      strategy: { Fixed: 128 },
      direction: 'Right',
      pad_to_multiple_of: null,
      pad_id: 0,
      pad_type_id: 0,
      pad_token: '[PAD]',
    },
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]'].map(special),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(VOCAB.map((t, i) => [t, i])),
    },
  });
}

/**
 * The ids BERT's WordPiece gives `text` over VOCAB, by hand: lower-case, split on spaces and
 * around punctuation, greedy longest-match with `##` continuations, [CLS] … [SEP], and
 * truncated to `maxLength` tokens (special tokens included).
 */
export function referenceIds(text: string, maxLength = 512): number[] {
  const words = text
    .toLowerCase()
    .split(/\s+/)
    .flatMap((w) => w.split(/([.,!?])/))
    .filter((w) => w.length > 0);
  const ids: number[] = [];
  for (const word of words) {
    const pieces: number[] = [];
    let start = 0;
    let ok = true;
    while (start < word.length) {
      let end = word.length;
      let found = -1;
      while (end > start) {
        const piece = (start > 0 ? '##' : '') + word.slice(start, end);
        found = id(piece);
        if (found >= 0) break;
        end--;
      }
      if (found < 0) {
        ok = false;
        break;
      }
      pieces.push(found);
      start = end;
    }
    ids.push(...(ok ? pieces : [id('[UNK]')]));
  }
  return [id('[CLS]'), ...ids.slice(0, maxLength - 2), id('[SEP]')];
}

/** The embedding table of the lookup network: row v is token v's vector. */
export function embeddingTable(): Float32Array {
  return Float32Array.from({ length: VOCAB.length * HIDDEN }, (_, n) => Math.sin(n * 0.71 + 0.3) * (1 + (n % 5)));
}

/** Mean of the table rows of `ids`, L2-normalised when asked: the pooled embedding of one text. */
export function referenceEmbedding(ids: readonly number[], mode: 'mean' | 'cls', normalize: boolean): number[] {
  const table = embeddingTable();
  const rows = mode === 'cls' ? ids.slice(0, 1) : ids;
  const v = Array.from(
    { length: HIDDEN },
    (_, k) => rows.reduce((s, t) => s + table[t * HIDDEN + k]!, 0) / rows.length,
  );
  if (!normalize) return v;
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/**
 * The lookup network: input_ids (and attention_mask, which it ignores, as a BERT export declares
 * it) INT64 [batch, seq] → last_hidden_state FP32 [batch, seq, HIDDEN].
 */
export function lookupModel(): Uint8Array {
  return encodeModel({
    name: 'lookup',
    nodes: [{ op: 'Gather', name: 'embed', inputs: ['table', 'input_ids'], outputs: ['last_hidden_state'] }],
    initializers: [{ name: 'table', dims: [VOCAB.length, HIDDEN], values: embeddingTable() }],
    inputs: [
      { name: 'input_ids', shape: ['batch', 'seq'], type: INT64 },
      { name: 'attention_mask', shape: ['batch', 'seq'], type: INT64 },
    ],
    outputs: [{ name: 'last_hidden_state', shape: ['batch', 'seq', HIDDEN] }],
  });
}

/** Identity over a string tensor: s BYTES [batch] → out BYTES [batch]. */
export function stringIdentityModel(): Uint8Array {
  return encodeModel({
    name: 'echo',
    nodes: [{ op: 'Identity', name: 'id', inputs: ['s'], outputs: ['out'] }],
    initializers: [],
    inputs: [{ name: 's', shape: ['batch'], type: STRING }],
    outputs: [{ name: 'out', shape: ['batch'], type: STRING }],
  });
}

export interface TextRepository {
  dir: string;
  /** Adds model `name` version 1 with `files` (name → bytes or text). */
  add(name: string, files: Record<string, Uint8Array | string>): void;
}

/** A temporary model repository to fill with text models. */
export function textRepository(): TextRepository {
  const dir = mkdtempSync(join(tmpdir(), 'alto-text-'));
  return {
    dir,
    add(name, files) {
      const version = join(dir, name, '1');
      mkdirSync(version, { recursive: true });
      for (const [file, content] of Object.entries(files)) writeFileSync(join(version, file), content);
    },
  };
}

/** config.json of a text embedding model over the lookup network. */
export function embeddingConfig(pooling: { mode: 'mean' | 'cls'; normalize: boolean }, maxLength = 16): string {
  return JSON.stringify({
    format: 'onnx',
    max_batch_size: 32,
    pipeline: {
      tokenizer: { file: 'tokenizer.json', max_length: maxLength, input: 'text' },
      pooling: { ...pooling, input: 'last_hidden_state', output: 'embedding' },
    },
  });
}
