// The worker's tokenizer (@alto/runtime's loadTokenizer over the Rust tokenizers bindings) gives
// the same ids as Hugging Face's Python `tokenizers` for the same tokenizer.json, truncation at
// max_length included, and ignores the file's own padding (MiniLM's pads every text to 128).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer } from '@alto/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_VENV_INSTALL_TIMEOUT_MS, testPython } from './support/python.ts';
import { referenceIds, tinyTokenizerJson } from './support/text-model.ts';

const TEXTS = [
  'a cat sits on the mat.',
  'The KITTEN runs, the dog sits!',
  'Unbelievable kittens',
  'zebra café 東京 😀',
  '',
  '   ',
  Array.from({ length: 30 }, () => 'the cat').join(' '),
];

const MAX_LENGTH = 12;

/** Ids Python's tokenizers gives each text: the file's padding off, truncation at `max`. */
function pythonIds(file: string, texts: string[], max: number): number[][] {
  const script =
    'import json,sys\nfrom tokenizers import Tokenizer\n' +
    't=Tokenizer.from_file(sys.argv[1]); t.no_padding(); t.enable_truncation(int(sys.argv[2]))\n' +
    'print(json.dumps([e.ids for e in t.encode_batch(json.load(sys.stdin))]))';
  const out = execFileSync(testPython(), ['-c', script, file, String(max)], { input: JSON.stringify(texts) });
  return JSON.parse(out.toString()) as number[][];
}

describe('tokenizer', () => {
  let file: string;
  beforeAll(() => {
    file = join(mkdtempSync(join(tmpdir(), 'alto-tok-')), 'tokenizer.json');
    writeFileSync(file, tinyTokenizerJson());
    testPython();
  }, TEST_VENV_INSTALL_TIMEOUT_MS);

  it('gives the ids Python tokenizers gives, truncated at max_length and unpadded', async () => {
    const tokenizer = loadTokenizer(tinyTokenizerJson(), MAX_LENGTH, 'tiny');
    const ours = (await tokenizer.encodeBatch(TEXTS)).map((e) => e.ids);
    expect(ours).toEqual(pythonIds(file, TEXTS, MAX_LENGTH));
    // The hand-written WordPiece of test/support knows no CJK splitting: held to the ASCII texts.
    const ascii = TEXTS.flatMap((t, i) => ([...t].every((ch) => ch.charCodeAt(0) < 128) ? [i] : []));
    expect(ascii.map((i) => ours[i])).toEqual(ascii.map((i) => referenceIds(TEXTS[i]!, MAX_LENGTH)));
    expect(tokenizer.padId).toBe(0);
  });

  it('names the file when the library refuses it', () => {
    expect(() => loadTokenizer('{"model": {"type": "Nope"}}', 8, '/m/1/tokenizer.json')).toThrow(
      /^\/m\/1\/tokenizer\.json: not a tokenizer the tokenizers library can load: /,
    );
  });
});
