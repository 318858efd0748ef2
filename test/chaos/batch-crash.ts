// The batch chaos scenario: the gateway feeding a batch job is SIGKILLed three times mid-
// expansion (a quarter, half and three quarters of the lines fed) and restarted; the batch
// must still end with every input line's result exactly once, each from one prediction. The
// feeder's lease lapses with the dead process, and the restarted gateway resumes at the cursor
// (docs/batches.md).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { until } from './support.ts';

export interface BatchChaos {
  gatewayUrl: () => string;
  publisherUrl: string;
  adminToken: string;
  /** Where the gateway's ALTO_PAYLOAD_ROOTS points. */
  payloadDir: string;
  /** SIGKILLs the gateway and starts it again. */
  restartGateway: () => Promise<void>;
  log: (msg: string) => void;
}

interface BatchView {
  status: string;
  finished_at: string | null;
  counts: { total: number | null; fed: number; succeeded: number; failed: number; canceled: number };
}

export async function batchCrash(c: BatchChaos, lines: number): Promise<string> {
  const res = await fetch(`${c.publisherUrl}/v1/admin/models`, {
    method: 'POST',
    headers: { authorization: `Bearer ${c.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'tiny', uri: join(process.cwd(), 'models/tiny'), replicas: 1 }),
  });
  if (res.status !== 201) throw new Error(`publishing tiny: ${res.status} ${await res.text()}`);
  await until('a ready tiny replica', 60_000, async () => {
    const r = await fetch(`${c.gatewayUrl()}/v1/models/tiny`);
    return r.ok && ((await r.json()) as { ready_replicas: number }).ready_replicas > 0 ? true : undefined;
  });
  mkdirSync(c.payloadDir, { recursive: true });
  const input = join(c.payloadDir, 'input.jsonl');
  const body = Array.from({ length: lines }, (_, i) =>
    JSON.stringify({
      custom_id: `row-${i}`,
      input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(i / lines) } },
    }),
  );
  writeFileSync(input, body.join('\n') + '\n');
  const out = join(c.payloadDir, 'out');
  const created = await fetch(`${c.gatewayUrl()}/v1/batches`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tiny', input_uri: pathToFileURL(input).href, output_uri: pathToFileURL(out).href }),
  });
  if (created.status !== 201) throw new Error(`creating the batch: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const view = async () => (await (await fetch(`${c.gatewayUrl()}/v1/batches/${id}`)).json()) as BatchView;

  const kills: number[] = [];
  for (const share of [0.25, 0.5, 0.75]) {
    const fed = await until(`${share * 100}% of the batch fed`, 120_000, async () => {
      const b = await view();
      return b.counts.fed >= share * lines ? b.counts.fed : undefined;
    });
    c.log(`batch: SIGKILL the gateway with ${fed} of ${lines} lines fed`);
    kills.push(fed);
    await c.restartGateway();
  }
  const done = await until('the batch to finish', 180_000, async () => {
    const b = await view();
    return b.finished_at ? b : undefined;
  });

  const folder = join(out, id);
  const rows = readdirSync(folder)
    .filter((n) => /^results-\d+\.jsonl$/.test(n))
    .flatMap((n) => readFileSync(join(folder, n), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as { custom_id: string; prediction_id: string; status: string });
  const perId = new Map<string, number>();
  for (const r of rows) perId.set(r.custom_id, (perId.get(r.custom_id) ?? 0) + 1);
  const missing = body.length - [...perId.keys()].length;
  const repeated = [...perId.values()].filter((n) => n > 1).length;
  const predictions = new Set(rows.map((r) => r.prediction_id)).size;
  const notOk = rows.filter((r) => r.status !== 'succeeded').length;
  const problems = [
    done.status !== 'succeeded' && `batch ended ${done.status}`,
    rows.length !== lines && `${rows.length} result lines for ${lines} input lines`,
    missing > 0 && `${missing} lines skipped`,
    repeated > 0 && `${repeated} lines written more than once`,
    predictions !== lines && `${predictions} distinct predictions for ${lines} lines`,
    notOk > 0 && `${notOk} lines not succeeded`,
    done.counts.succeeded !== lines && `counts.succeeded ${done.counts.succeeded}`,
  ].filter(Boolean);
  if (problems.length) throw new Error(`batch after gateway crashes: ${problems.join('; ')}`);
  return `batch of ${lines} lines survived gateway SIGKILLs at ${kills.join(', ')} lines fed: every line once, ${predictions} predictions`;
}
