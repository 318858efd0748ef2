// The --scale results: targets they are judged against and the table regenerated inside
// docs/benchmarks.md between the scale markers (the rest of the document is kept as written).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Target } from './report.ts';
import type { ClusterRow } from './scale-cluster.ts';
import type { ScaleResults } from './scale.ts';

const r2 = (x: number) => Math.round(x * 100) / 100;

/** Predictions per second one Redis core carries at the measured CPU cost of a prediction. */
export const redisCeiling = (cpuUsPer: number) => Math.round(1e6 / Math.max(1e-9, cpuUsPer));

export function scaleTargets(res: ScaleResults): Target[] {
  const out: Target[] = [];
  const upTo16 = res.rows.filter((r) => r.workers <= 16 && r.workers > 1);
  if (upTo16.length > 0) {
    const worst = upTo16.reduce((a, b) => (b.efficiency < a.efficiency ? b : a));
    out.push({
      name: `scaling efficiency up to 16 workers (worst: ${worst.workers} workers)`,
      value: r2(worst.efficiency),
      goal: '>= 0.90',
      met: worst.efficiency >= 0.9,
    });
  }
  if (res.rows.length > 0) {
    const worst = Math.max(...res.rows.map((r) => r.roundTripsPer));
    out.push({
      name: 'Redis commands sent per prediction, a script counting as one (worst fleet size)',
      value: r2(worst),
      goal: '<= 6',
      met: worst <= 6,
    });
  }
  return out;
}

export function clusterTargets(cluster: readonly ClusterRow[] | undefined): Target[] {
  const one = cluster?.find((r) => r.masters === 1);
  const three = cluster?.find((r) => r.masters === 3);
  if (!one || !three) return [];
  const v = three.ceiling / Math.max(1e-9, one.ceiling);
  return [{ name: "3 masters' ceiling / one master's, many models", value: r2(v), goal: '>= 2.5', met: v >= 2.5 }];
}

function table(res: ScaleResults, date: string): string {
  const { sim } = res;
  const lines = [
    `Measured ${date} with \`npm run bench -- --scale\`: model \`sim\` (a batch of n rows takes ` +
      `${sim.a_ms} + ${sim.b_ms}·n ms, max_batch_size ${sim.maxBatch}: ${res.perWorkerCapacity} predictions/s per worker ` +
      `with full batches), open loop at 1.05× the fleet's capacity, ${res.seconds} s per point, one gateway, one Redis.`,
    '',
    '| workers | offered req/s | answered/s | efficiency | mean batch | p50 ms | p99 ms | errors ' +
      '| Redis cmds sent / pred | Redis cmds run / pred | Redis CPU µs / pred |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of res.rows)
    lines.push(
      `| ${r.workers} | ${r.offered} | ${r.throughput} | ${r.efficiency} | ${r.batchMean} | ${r.load.p50} | ${r.load.p99} | ` +
        `${r.load.errors} | ${r.roundTripsPer} | ${r.commandsPer} | ${r.redisCpuUsPer} |`,
    );
  const last = res.rows.at(-1);
  if (last) {
    const byName = (m: Record<string, number>) =>
      Object.entries(m)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
    lines.push(
      '',
      `At ${last.workers} workers, per prediction: commands sent (MONITOR, a script is one): ${byName(last.roundTripsByName)}; ` +
        `commands run, scripts' own included (INFO commandstats): ${byName(last.commandsByName)}.`,
      `One Redis core's ceiling at ${last.redisCpuUsPer} µs per prediction: about ${redisCeiling(last.redisCpuUsPer)} predictions/s.`,
    );
  }
  if (res.cluster?.length) lines.push('', clusterBlock(res.cluster, date));
  lines.push('', '| target | value | goal | met |', '| --- | --- | --- | --- |');
  for (const t of scaleTargets(res)) lines.push(`| ${t.name} | ${t.value} | ${t.goal} | ${t.met ? 'yes' : 'no'} |`);
  return lines.join('\n');
}

function clusterBlock(cluster: readonly ClusterRow[], date: string): string {
  const one = cluster.find((c) => c.masters === 1);
  const lines: string[] = [];
  lines.push(
    `Measured ${date} with \`npm run bench -- --scale\` (or \`--cluster-only\`). ` +
      'One Redis against a Redis Cluster of 3 masters (no replicas), many models spread over the masters by their hash tags. ' +
      'The fleet (one gateway, `sim` workers, a fixed open-loop rate):',
    '',
    '| masters | models | workers | offered req/s | answered/s | p50 ms | p99 ms | errors | models per master | ' +
      'Redis CPU µs / pred per master | `{control}` cmds / pred | `{owner:…}` cmds / pred | untagged cmds / pred |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const c of cluster) {
    const f = c.fleet;
    lines.push(
      `| ${c.masters} | ${f.models} | ${f.workers} | ${f.offered} | ${f.load.throughput} | ${f.load.p50} | ${f.load.p99} | ` +
        `${f.load.errors} | ${c.modelsByMaster.join(' / ')} | ${f.cpuUsPerByMaster.join(' / ')} | ${f.traffic.control} | ` +
        `${f.traffic.owner} | ${f.traffic.untagged} |`,
    );
  }
  lines.push(
    '',
    "Redis busy: the fleet's Redis side driven in-process (bench/scale-driver.ts: the same @alto/queue calls per prediction " +
      'as the gateway and the workers, many predictions in flight), each master measured with INFO cpu:',
    '',
    '| masters | models (per master) | API keys | in flight | answered/s | Redis CPU µs / pred per master | ' +
      'Redis CPU µs / pred, all masters | less idle, µs / pred per master | master core busy (idle) | ' +
      'cmds run / pred per master | ceiling pred/s (busiest core) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const c of cluster) {
    const d = c.driver;
    const busy = d.busyByMaster.map((b, i) => `${b} (${d.idleBusyByMaster[i]})`).join(' / ');
    lines.push(
      `| ${c.masters} | ${d.models} (${d.modelsByMaster.join(' / ')}) | ${d.owners} | ${d.inFlight} | ${d.throughput} | ` +
        `${d.cpuUsPerByMaster.join(' / ')} | ${d.cpuUsPer} | ${d.marginalUsPerByMaster.join(' / ')} | ${busy} | ` +
        `${d.commandsPerByMaster.join(' / ')} | ${d.ceiling} |`,
    );
  }
  if (one)
    lines.push(
      '',
      `One Redis core carries about ${one.driver.ceiling} predictions/s ` +
        `((1e6 µs − ${Math.round(one.driver.idleBusyByMaster[0]! * 1e6)} µs idle per s) / ${one.driver.marginalUsPerByMaster[0]} µs). ` +
        `\`{control}\` commands per prediction during the fleet runs (MONITOR, every master): ` +
        cluster
          .map(
            (c) =>
              `${c.masters} master(s): ${c.fleet.traffic.control}` +
              (Object.keys(c.fleet.controlByName).length
                ? ` (${Object.entries(c.fleet.controlByName)
                    .map(([k, v]) => `${k} ${v}`)
                    .join(', ')})`
                : ''),
          )
          .join('; ') +
        '.',
    );
  lines.push('', '| target | value | goal | met |', '| --- | --- | --- | --- |');
  for (const t of clusterTargets(cluster))
    lines.push(`| ${t.name} | ${t.value} | ${t.goal} | ${t.met ? 'yes' : 'no'} |`);
  return `${CLUSTER_START}\n${lines.join('\n')}\n${CLUSTER_END}`;
}

const START = '<!-- scale:start (generated by npm run bench -- --scale) -->';
const END = '<!-- scale:end -->';
const CLUSTER_START = '<!-- scale-cluster:start (generated by npm run bench -- --scale or --cluster-only) -->';
const CLUSTER_END = '<!-- scale-cluster:end -->';

/** `doc` with the text from `start` to `end` (markers included) replaced by `block`; appended when absent. */
function replaceBlock(doc: string, start: string, end: string, block: string): string {
  return doc.includes(start) && doc.includes(end)
    ? doc.slice(0, doc.indexOf(start)) + block + doc.slice(doc.indexOf(end) + end.length)
    : `${doc.trimEnd()}\n\n${block}\n`;
}

/**
 * Rewrites the scale block of `path` (with `clusterOnly`, only its cluster part, keeping the
 * workers rows as measured before); returns the MET / MISS lines for the terminal.
 */
export function writeScaleReport(res: ScaleResults, date: string, path: string, clusterOnly = false): string {
  const doc = existsSync(path) ? readFileSync(path, 'utf8') : `# Benchmarks\n`;
  const next = clusterOnly
    ? replaceBlock(doc, CLUSTER_START, CLUSTER_END, clusterBlock(res.cluster ?? [], date))
    : replaceBlock(doc, START, END, `${START}\n${table(res, date)}\n${END}`);
  writeFileSync(path, next);
  const control = (res.cluster ?? []).map(
    (c) =>
      `INFO {control} commands per prediction, ${c.masters} master(s): ${c.fleet.traffic.control} ` +
      `(${JSON.stringify(c.fleet.controlByName)}); ceiling ${c.driver.ceiling} pred/s at ` +
      `${c.driver.marginalUsPerByMaster.join(' / ')} µs per prediction per master beyond idle`,
  );
  return [
    ...[...(clusterOnly ? [] : scaleTargets(res)), ...clusterTargets(res.cluster)].map(
      (t) => `${t.met ? 'MET ' : 'MISS'} ${t.name}: ${t.value} (goal ${t.goal})`,
    ),
    ...control,
  ].join('\n');
}
