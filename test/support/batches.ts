// Batch job fixtures: JSONL inputs for `tiny`, and the result shards read back from a local
// folder or a (fake) GCS bucket, as a reader of the output would.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Storage } from '@google-cloud/storage';

export interface ResultRow {
  custom_id: string | number | null;
  line: number;
  prediction_id: string | null;
  status: string;
  output: { y?: { data: number[] } } | null;
  error: { code: string; message: string } | null;
}

/** `n` request lines for `tiny` (FP32 [1, 64]); line i has custom_id `row-<i>` and x = i / n. */
export function tinyLines(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = i / n;
    lines.push(
      JSON.stringify({
        custom_id: `row-${i}`,
        input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(v) } },
      }),
    );
  }
  return lines.join('\n') + '\n';
}

const parse = (texts: string[]): { shards: number; rows: ResultRow[] } => ({
  shards: texts.length,
  rows: texts.flatMap((t) =>
    t
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as ResultRow),
  ),
});

/** Every result line of the shards in a local folder (`<output>/<batch id>`). */
export async function localResults(folder: string): Promise<{ shards: number; rows: ResultRow[] }> {
  const names = (await readdir(folder).catch(() => [] as string[])).filter((n) => /^results-\d+\.jsonl$/.test(n));
  return parse(await Promise.all(names.map((n) => readFile(join(folder, n), 'utf8'))));
}

/** Every result line of the shards under `prefix` (ending in '/') of a bucket. */
export async function gcsResults(storage: Storage, bucket: string, prefix: string) {
  const [files] = await storage.bucket(bucket).getFiles({ prefix });
  const shards = files.filter((f) => /\/results-\d+\.jsonl$/.test(f.name));
  return parse(await Promise.all(shards.map(async (f) => (await f.download())[0].toString('utf8'))));
}

/** Problems with a batch's results against its n input lines: missing, repeated or failed custom_ids. */
export function resultProblems(rows: ResultRow[], n: number): string[] {
  const problems: string[] = [];
  const seen = new Map<string | number | null, number>();
  for (const r of rows) seen.set(r.custom_id, (seen.get(r.custom_id) ?? 0) + 1);
  for (let i = 0; i < n; i++) {
    const c = seen.get(`row-${i}`) ?? 0;
    if (c !== 1) problems.push(`row-${i} appears ${c} times`);
  }
  if (rows.length !== n) problems.push(`${rows.length} result lines for ${n} input lines`);
  const failed = rows.filter((r) => r.status !== 'succeeded');
  if (failed.length) problems.push(`${failed.length} not succeeded, e.g. ${JSON.stringify(failed[0])}`);
  return problems.slice(0, 10);
}
