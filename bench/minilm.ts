// The `minilm` scenario: sentences/s of all-MiniLM-L6-v2 through Alto (gateway, Redis, one
// worker running the text pipeline: tokenizer, network, pooling) against the limit, the same
// ONNX model with the same tokenizer run directly in-process (bench/minilm-limit.ts) with the
// same intra-op threads. Full mode runs it; `--minilm` adds it to --quick, `--minilm-only`
// runs it alone. Writes its own block of docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, freePort, startGateway, startWorker, rssMiB, withCpu } from './procs.ts';
import type { LoadResult } from './report.ts';
import type { MiniLmLimitRow } from './minilm-limit.ts';

/** A typical short sentence (12 tokens with [CLS] and [SEP]). */
const ONE = 'Scientists discovered a new species of frog in the rainforest.';

export interface MiniLmAltoRow {
  /** How the texts went: one per predictions request, or 32 per /embed request. */
  route: 'predictions' | 'embed';
  textsPerRequest: number;
  concurrency: number;
  sentencesPerSecond: number;
  load: LoadResult;
}

export type MiniLmResults =
  | { skipped: string }
  | {
      threads: number;
      seconds: number;
      limit: Record<'one' | 'batch32', MiniLmLimitRow>;
      alto: MiniLmAltoRow[];
      cpu: Record<string, number>;
      workerRssMiB: number;
    };

export interface MiniLmBenchOptions {
  redisUrl: string;
  threads: number;
  seconds: number;
  quick: boolean;
  tmp: string;
  log: (msg: string) => void;
  runJson: <T>(script: string, spec: unknown) => Promise<T>;
  load: (url: string, file: string, mode: 'wait' | 'plain', concurrency: number) => Promise<LoadResult>;
}

export async function benchMiniLm(o: MiniLmBenchOptions): Promise<MiniLmResults> {
  let folder: string;
  try {
    folder = execFileSync('bash', [join(ROOT, 'scripts/minilm/setup.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
      .trim()
      .split('\n')
      .pop()!;
  } catch {
    return { skipped: 'scripts/minilm/setup.sh could not build the checkpoint (see its line above)' };
  }
  const fixture = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/minilm/sentences.json'), 'utf8')) as {
    sentences: string[];
  };
  // The 32 sentences of the paraphrase pairs: 5 to 17 tokens, everyday length.
  const batch32 = fixture.sentences.slice(0, 32);

  // Measured before and after Alto, the better of the two kept per row: on a shared machine a
  // single measurement of the limit can land in a busy moment and understate it.
  const measureLimit = () =>
    o.runJson<Record<'one' | 'batch32', MiniLmLimitRow>>('bench/minilm-limit.ts', {
      versionDir: join(folder, '1'),
      threads: o.threads,
      seconds: o.seconds,
      workloads: { one: [ONE], batch32 },
    });
  o.log('minilm: limit (onnxruntime-node in-process, the worker tokenizer and pooling)');
  const firstLimit = await measureLimit();

  o.log('minilm: alto');
  const gwPort = await freePort();
  const common = { REDIS_URL: o.redisUrl, ALTO_PREFIX: `benchminilm${Date.now()}`, ALTO_LOG_LEVEL: 'warn' };
  const worker = await startWorker(common, {
    id: 'bench-minilm',
    repository: join(folder, '..'),
    models: 'minilm',
    threads: o.threads,
  });
  const gateway = await startGateway(common, gwPort);
  const base = `http://127.0.0.1:${gwPort}/v1/models/minilm`;
  const oneFile = join(o.tmp, 'minilm-one.json');
  writeFileSync(oneFile, JSON.stringify({ input: { text: { datatype: 'BYTES', shape: [1], data: [ONE] } } }));
  const embedFile = join(o.tmp, 'minilm-embed.json');
  writeFileSync(embedFile, JSON.stringify({ texts: batch32 }));
  const alto: MiniLmAltoRow[] = [];
  let cpu: Record<string, number> = {};
  let workerRssMiB: number | undefined;
  try {
    for (const c of o.quick ? [1, 32] : [1, 8, 32, 64]) {
      const load = await o.load(`${base}/predictions`, oneFile, 'wait', c);
      alto.push({
        route: 'predictions',
        textsPerRequest: 1,
        concurrency: c,
        sentencesPerSecond: load.throughput,
        load,
      });
    }
    for (const c of o.quick ? [1] : [1, 4]) {
      const measured = await withCpu([gateway, worker], () => o.load(`${base}/embed`, embedFile, 'plain', c));
      cpu = measured.cpu;
      const load = measured.result;
      alto.push({
        route: 'embed',
        textsPerRequest: batch32.length,
        concurrency: c,
        sentencesPerSecond: Math.round(load.throughput * batch32.length * 10) / 10,
        load,
      });
    }
    workerRssMiB = rssMiB(worker.child.pid!);
  } finally {
    await Promise.all([worker.stop(), gateway.stop()]);
  }
  o.log('minilm: limit again');
  const secondLimit = await measureLimit();
  const better = (a: MiniLmLimitRow, b: MiniLmLimitRow): MiniLmLimitRow => ({
    ...a,
    sentencesPerSecond: Math.max(a.sentencesPerSecond, b.sentencesPerSecond),
    networkOnly: Math.max(a.networkOnly, b.networkOnly),
  });
  const limit = {
    one: better(firstLimit.one, secondLimit.one),
    batch32: better(firstLimit.batch32, secondLimit.batch32),
  };
  return { threads: o.threads, seconds: o.seconds, limit, alto, cpu, workerRssMiB: workerRssMiB ?? NaN };
}

const START = '<!-- minilm:start (generated by npm run bench; -- --minilm-only runs this alone) -->';
const END = '<!-- minilm:end -->';

export function miniLmTable(r: MiniLmResults, date: string): string {
  if ('skipped' in r) return `minilm not measured (${date}): ${r.skipped}.`;
  const pct = (x: number, of: number) => `${Math.round((x / of) * 100)}%`;
  const lines = [
    `Run ${date}; ${r.threads} intra-op thread(s) everywhere, ${r.seconds} s per row. ` +
      `Limit: onnxruntime-node in one process with the worker's tokenizer and pooling (network alone in brackets), ` +
      "the better of a measurement before and one after Alto's.",
    '',
    `| Alto route, texts/request | concurrency | Alto sentences/s | p50 ms | p99 ms | of limit batch 1 ` +
      `(${r.limit.one.sentencesPerSecond}; ${r.limit.one.networkOnly}) | of limit batch 32 ` +
      `(${r.limit.batch32.sentencesPerSecond}; ${r.limit.batch32.networkOnly}) |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const a of r.alto) {
    lines.push(
      `| ${a.route}, ${a.textsPerRequest} | ${a.concurrency} | ${a.sentencesPerSecond} | ${a.load.p50} | ${a.load.p99} | ` +
        `${pct(a.sentencesPerSecond, r.limit.one.sentencesPerSecond)} | ` +
        `${pct(a.sentencesPerSecond, r.limit.batch32.sentencesPerSecond)} |`,
    );
  }
  lines.push(
    '',
    'Batch 1: one 12-token sentence; batch 32: 32 sentences of 5–17 tokens (what /embed sends). ' +
      `Worker RSS ${r.workerRssMiB} MiB; ` +
      `CPU in cores during /embed at the highest concurrency: ${Object.entries(r.cpu)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
  );
  return lines.join('\n');
}

/** Replaces (or appends) the minilm block of docs/benchmarks.md. */
export function writeMiniLmReport(r: MiniLmResults, date: string, path: string): string {
  const table = miniLmTable(r, date);
  const block = `${START}\n${table}\n${END}`;
  const doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const next =
    doc.includes(START) && doc.includes(END)
      ? doc.slice(0, doc.indexOf(START)) + block + doc.slice(doc.indexOf(END) + END.length)
      : `${doc.trimEnd()}\n\n## minilm: sentence embeddings\n\n${block}\n`;
  writeFileSync(path, next);
  return table;
}
