// Compares the two Node tokenizer libraries a text pipeline can run a Hugging Face
// tokenizer.json with: @anush008/tokenizers (the Rust tokenizers library's Node bindings,
// prebuilt for linux-x64; what the worker uses) and @huggingface/tokenizers (pure
// JavaScript). Speed: texts per second encoding batches of 32, short and long texts.
// Main-thread cost: milliseconds the event loop was busy per text (the worker's main thread
// does its I/O, batching and heartbeats; the bindings encode on libuv's thread pool).
// Correctness: ids identical to Python's `tokenizers` (the reference implementation) on
// every sample text, untruncated.
// Run: node --import tsx bench/tokenizers.ts <tokenizer.json> [python with tokenizers]
// Numbers are recorded in docs/text-models.md.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Tokenizer as JsTokenizer } from '@huggingface/tokenizers';
import { Tokenizer as RustTokenizer } from '@anush008/tokenizers';

const [file, python] = process.argv.slice(2);
if (!file) throw new Error('usage: bench/tokenizers.ts <tokenizer.json> [python]');
const json = readFileSync(file, 'utf8');

const WORDS = (
  'a cat sits on the mat while the kitten runs after an unbelievable red ball, ' +
  'Zürich café naïve résumé — 東京 タワー 北京 😀 🚀 don’t can’t 3.14 1,000 e-mail #tag @user https://example.com/x?y=1'
).split(' ');

/** Deterministic sample texts: `n` texts of `words` words each (a small LCG picks them). */
function texts(n: number, words: number, seed: number): string[] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31);
  return Array.from({ length: n }, () => Array.from({ length: words }, () => WORDS[next() % WORDS.length]).join(' '));
}

const rust = RustTokenizer.fromString(json);
rust.disablePadding();
rust.disableTruncation();
const js = new JsTokenizer(JSON.parse(json), {});

const rustIds = async (batch: string[]) => (await rust.encodeBatch(batch)).map((e) => e.getIds());
const jsIds = (batch: string[]) => batch.map((t) => js.encode(t).ids);

async function rate(name: string, encode: (b: string[]) => Promise<number[][]> | number[][], sample: string[]) {
  for (let i = 0; i < sample.length; i += 32) await encode(sample.slice(i, i + 32)); // warm up
  const started = performance.now();
  const elu = performance.eventLoopUtilization();
  let done = 0;
  while (performance.now() - started < 3000) {
    for (let i = 0; i < sample.length; i += 32) await encode(sample.slice(i, i + 32));
    done += sample.length;
  }
  const busy = performance.eventLoopUtilization(elu).active;
  return {
    name,
    textsPerSecond: Math.round(done / ((performance.now() - started) / 1000)),
    mainThreadMsPerText: Number((busy / done).toFixed(4)),
  };
}

const short = texts(512, 10, 1);
const long = texts(128, 200, 2);
const results = [];
for (const [label, sample] of [
  ['short (10 words)', short],
  ['long (200 words)', long],
] as const) {
  for (const r of [
    await rate('@anush008/tokenizers', rustIds, sample),
    await rate('@huggingface/tokenizers', jsIds, sample),
  ])
    results.push({ texts: label, ...r });
}
console.table(results);

if (python) {
  const sample = [...short.slice(0, 200), ...long.slice(0, 50), '', ' ', 'A', 'ÀÉÎÕÜ', '東京タワー', '😀😀😀'];
  const script =
    'import json,sys\nfrom tokenizers import Tokenizer\n' +
    't=Tokenizer.from_file(sys.argv[1]); t.no_padding(); t.no_truncation()\n' +
    'print(json.dumps([e.ids for e in t.encode_batch(json.load(sys.stdin))]))';
  const reference = JSON.parse(
    execFileSync(python, ['-c', script, file], { input: JSON.stringify(sample), maxBuffer: 1 << 26 }).toString(),
  ) as number[][];
  const same = (ids: number[][]) => ids.filter((row, i) => JSON.stringify(row) === JSON.stringify(reference[i])).length;
  console.table([
    { name: '@anush008/tokenizers', identical: `${same(await rustIds(sample))}/${sample.length}` },
    { name: '@huggingface/tokenizers', identical: `${same(jsIds(sample))}/${sample.length}` },
  ]);
}
