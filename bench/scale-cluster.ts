// `npm run bench -- --scale` (or `--cluster-only`): one Redis against a 3-master Redis
// Cluster, with many models spread over the masters by their hash tags. Two phases on each:
// the fleet (a gateway and `sim` workers at a fixed open-loop rate), which also says how
// much traffic the `{control}` slot takes per prediction (MONITOR on its node, a separate
// short window); then the Redis side of a fleet driven in-process (scale-driver.ts) with many
// predictions in flight, so that Redis is busy: each master's CPU per prediction (INFO cpu
// deltas) gives the predictions/s the fleet reaches when the busiest master's core is full.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, startRedisCluster } from '@alto/procs';
import { freePort, startGateway, startWorker, type Proc } from './procs.ts';
import type { LoadResult } from './report.ts';
import { startDriver } from './scale-driver.ts';
import { SIM, commandStats, redisCpuUs } from './scale.ts';

type Load = LoadResult & { drainSeconds: number; sent: number; ok: number };

export interface FleetPhase {
  workers: number;
  models: number;
  offered: number;
  load: Load;
  /** Redis CPU per answered prediction on each master, µs. */
  cpuUsPerByMaster: number[];
  /**
   * Commands (client-sent and scripts' own) naming a key or channel of each kind, per
   * answered prediction, from MONITOR on every master over a separate short window.
   */
  traffic: { control: number; owner: number; untagged: number; answered: number };
  /** The `{control}` commands of that window by name, per answered prediction. */
  controlByName: Record<string, number>;
}

export interface DriverPhase {
  models: number;
  inFlight: number;
  seconds: number;
  answered: number;
  /** Answers per second of the in-process driver. */
  throughput: number;
  /** Share of the notices that carried the record. */
  carriedShare: number;
  /** Redis CPU per answered prediction on each master, µs, and the sum over masters. */
  cpuUsPerByMaster: number[];
  cpuUsPer: number;
  /** The same less each master's idle cost over the window: what one more prediction costs. */
  marginalUsPerByMaster: number[];
  /** How busy each master's core was with the fleet connected and idle. */
  idleBusyByMaster: number[];
  /** How busy each master's core was over the window (CPU s / wall s). */
  busyByMaster: number[];
  /** Commands run (scripts' own included) per prediction on each master. */
  commandsPerByMaster: number[];
  /** The driver's models whose stream each master holds. */
  modelsByMaster: number[];
  /** API keys (owner indexes) the requests were spread over. */
  owners: number;
  /**
   * Predictions/s at which the first master's core is full: for each master,
   * (1e6 µs − its idle µs per s) / its marginal µs per prediction; the least of them.
   */
  ceiling: number;
}

export interface ClusterRow {
  masters: number;
  /** Models whose stream each master holds (fleet phase). */
  modelsByMaster: number[];
  fleet: FleetPhase;
  driver: DriverPhase;
  /** The ceiling: the driver phase's. */
  ceiling: number;
}

export interface ClusterOptions {
  models: number;
  workers: number;
  rate: number;
  /** Models and predictions in flight of the driver phase. */
  driverModels: number;
  inFlight: number;
  driverSeconds: number;
  /** API keys the driver's requests are spread over (owner indexes, each in its own slot). */
  driverOwners: number;
  log: (msg: string) => void;
  load: (url: string, paths: string[], file: string, rate: number, seconds?: number) => Promise<Load>;
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Runs `work` with MONITOR on `nodes`: every command, its source and its arguments. */
async function monitored<T>(
  nodes: Redis[],
  work: () => Promise<T>,
): Promise<{ result: T; commands: { name: string; args: string[] }[] }> {
  const monitors = await Promise.all(nodes.map((n) => n.monitor()));
  const commands: { name: string; args: string[] }[] = [];
  for (const m of monitors)
    m.on('monitor', (_time: string, args: string[]) => {
      commands.push({ name: String(args[0]).toLowerCase(), args: args.slice(1).map(String) });
    });
  try {
    return { result: await work(), commands };
  } finally {
    for (const m of monitors) m.disconnect();
  }
}

/** Each node's CPU and commandstats around `work`. */
async function measured<T>(nodes: Redis[], work: () => Promise<T>) {
  const cpu0 = await Promise.all(nodes.map(redisCpuUs));
  const cmd0 = await Promise.all(nodes.map(commandStats));
  const t0 = performance.now();
  const result = await work();
  const wallS = (performance.now() - t0) / 1000;
  const cpu1 = await Promise.all(nodes.map(redisCpuUs));
  const cmd1 = await Promise.all(nodes.map(commandStats));
  const cpuUs = cpu1.map((c, i) => c - cpu0[i]!);
  const commands = cmd1.map((after, i) =>
    Object.entries(after).reduce((sum, [k, v]) => sum + (k === 'info' ? 0 : v - (cmd0[i]![k] ?? 0)), 0),
  );
  return { result, wallS, cpuUs, commands };
}

async function fleetPhase(
  nodes: Redis[],
  redisEnv: Record<string, string>,
  o: ClusterOptions,
  repo: string,
  names: string[],
): Promise<{ phase: FleetPhase; modelsByMaster: number[] }> {
  const common = { ...redisEnv, ALTO_PREFIX: 'cl', ALTO_LOG_LEVEL: 'info' };
  const procs: Proc[] = [];
  try {
    const gwPort = await freePort();
    procs.push(await startGateway(common, gwPort));
    for (let i = 0; i < o.workers; i++) {
      procs.push(
        await startWorker(common, {
          id: `cw-${i + 1}`,
          name: `cw-${i + 1}`,
          repository: repo,
          metricsPort: await freePort(),
          env: { ALTO_XLA_RUNTIME: 'off' },
        }),
      );
    }
    const url = `http://127.0.0.1:${gwPort}/`;
    const paths = names.map((n) => `/v1/models/${n}/predictions`);
    const body = join(repo, 'body.json');
    o.log(`cluster: ${nodes.length} master(s), fleet, ${names.length} models, open loop at ${o.rate} req/s`);
    const m = await measured(nodes, () => o.load(url, paths, body, o.rate));
    const answered = Math.max(1, m.result.ok);
    o.log(`cluster: ${nodes.length} master(s), fleet, MONITOR window for the {control} traffic`);
    const watched = await monitored(nodes, () => o.load(url, paths, body, o.rate, 3));
    const perWatched = (n: number) => r3(n / Math.max(1, watched.result.ok));
    // The keys a command names: a script's KEYS only (its ARGV may name a channel).
    const keysOf = (name: string, args: string[]) =>
      name === 'evalsha' || name === 'eval' ? args.slice(2, 2 + Number(args[1])) : args;
    const kind = (args: string[]) =>
      args.some((a) => a.includes('{control}'))
        ? 'control'
        : args.some((a) => a.includes('{owner:'))
          ? 'owner'
          : args.some((a) => a.startsWith('cl:') && !a.startsWith('cl:{'))
            ? 'untagged'
            : 'other';
    const counts = { control: 0, owner: 0, untagged: 0 };
    const controlByName: Record<string, number> = {};
    for (const c of watched.commands) {
      const k = kind(keysOf(c.name, c.args));
      if (k === 'other') continue;
      counts[k]++;
      if (k === 'control') controlByName[c.name] = (controlByName[c.name] ?? 0) + 1;
    }
    const modelsByMaster = await Promise.all(nodes.map(async (n) => (await n.keys('cl:{*}:stream')).length));
    return {
      modelsByMaster,
      phase: {
        workers: o.workers,
        models: names.length,
        offered: o.rate,
        load: m.result,
        cpuUsPerByMaster: m.cpuUs.map((c) => r1(c / answered)),
        traffic: {
          control: perWatched(counts.control),
          owner: perWatched(counts.owner),
          untagged: perWatched(counts.untagged),
          answered: watched.result.ok,
        },
        controlByName: Object.fromEntries(Object.entries(controlByName).map(([k, v]) => [k, perWatched(v)])),
      },
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

async function driverPhase(nodes: Redis[], url: string, cluster: boolean, o: ClusterOptions): Promise<DriverPhase> {
  const models = Array.from({ length: o.driverModels }, (_, i) => `drv-${i + 1}`);
  const data = new Float32Array(SIM.width).map((_, i) => i / SIM.width);
  const tensors = new Map([
    ['x', { datatype: 'FP32' as const, shape: [1, SIM.width], data: new Uint8Array(data.buffer) }],
  ]);
  o.log(`cluster: ${nodes.length} master(s), driver, ${models.length} models, ${o.inFlight} in flight`);
  const driver = await startDriver({
    url,
    cluster,
    prefix: 'dr',
    models,
    inFlight: o.inFlight,
    tensors,
    owners: o.driverOwners,
  });
  try {
    // Warm-up: connections, scripts loaded, subscriptions made, streams grown.
    await sleep(2000);
    // Idle: what each master spends with the fleet connected and nothing to do (cron, the
    // cluster bus), a cost that does not grow with predictions.
    driver.pause();
    await sleep(1000);
    const idle = await measured(nodes, () => sleep(3000));
    const idleUsPerS = idle.cpuUs.map((c) => c / idle.wallS);
    driver.resume();
    await sleep(1000);
    const a0 = driver.answered;
    const c0 = driver.carried;
    const m = await measured(nodes, () => sleep(o.driverSeconds * 1000));
    const answered = Math.max(1, driver.answered - a0);
    const cpuUsPerByMaster = m.cpuUs.map((c) => r1(c / answered));
    // Per prediction beyond the idle cost; a master's core is full when its idle cost and
    // this per prediction fill its second.
    const marginal = m.cpuUs.map((c, i) => Math.max(1e-9, (c - idleUsPerS[i]! * m.wallS) / answered));
    const ceilings = marginal.map((u, i) => (1e6 - idleUsPerS[i]!) / u);
    return {
      models: models.length,
      inFlight: o.inFlight,
      seconds: r1(m.wallS),
      answered,
      throughput: Math.round(answered / m.wallS),
      carriedShare: r3((driver.carried - c0) / answered),
      cpuUsPerByMaster,
      marginalUsPerByMaster: marginal.map(r1),
      idleBusyByMaster: idleUsPerS.map((u) => r3(u / 1e6)),
      cpuUsPer: r1(m.cpuUs.reduce((a, b) => a + b, 0) / answered),
      busyByMaster: m.cpuUs.map((c) => r3(c / 1e6 / m.wallS)),
      commandsPerByMaster: m.commands.map((c) => r1(c / answered)),
      modelsByMaster: await Promise.all(nodes.map(async (n) => (await n.keys('dr:{*}:stream')).length)),
      owners: o.driverOwners,
      ceiling: Math.round(Math.min(...ceilings)),
    };
  } finally {
    await driver.stop();
  }
}

async function runOn(masters: 1 | 3, o: ClusterOptions, repo: string, names: string[]): Promise<ClusterRow> {
  const single = masters === 1 ? await startRedis({ onInstall: o.log }) : undefined;
  const cluster = masters === 3 ? await startRedisCluster({ masters: 3, replicas: 0, onInstall: o.log }) : undefined;
  const nodes = single ? [new Redis(single.url)] : cluster!.nodes.map((n) => new Redis(n.port, '127.0.0.1'));
  const url = single ? single.url : cluster!.url;
  const redisEnv: Record<string, string> = single ? { REDIS_URL: url } : { REDIS_URL: url, ALTO_REDIS_CLUSTER: 'true' };
  try {
    const fleet = await fleetPhase(nodes, redisEnv, o, repo, names);
    const driver = await driverPhase(nodes, url, masters === 3, o);
    return { masters, modelsByMaster: fleet.modelsByMaster, fleet: fleet.phase, driver, ceiling: driver.ceiling };
  } finally {
    for (const n of nodes) n.disconnect();
    await single?.stop();
    await cluster?.stop();
  }
}

export async function benchCluster(o: ClusterOptions): Promise<ClusterRow[]> {
  const repo = mkdtempSync(join(tmpdir(), 'alto-scale-cluster-'));
  const names = Array.from({ length: o.models }, (_, i) => `sim-${i + 1}`);
  for (const name of names) {
    mkdirSync(join(repo, name, '1'), { recursive: true });
    writeFileSync(
      join(repo, name, '1', 'model.sim'),
      JSON.stringify({ width: SIM.width, a_ms: SIM.a_ms, b_ms: SIM.b_ms }),
    );
    writeFileSync(
      join(repo, name, 'config.json'),
      JSON.stringify({ max_batch_size: SIM.maxBatch, max_queue_length: 0 }),
    );
  }
  const data = Array.from({ length: SIM.width }, (_, i) => i / SIM.width);
  writeFileSync(
    join(repo, 'body.json'),
    JSON.stringify({ input: { x: { datatype: 'FP32', shape: [1, SIM.width], data } } }),
  );
  const rows: ClusterRow[] = [];
  for (const masters of [1, 3] as const) {
    rows.push(await runOn(masters, o, repo, names));
    o.log(`cluster: ${JSON.stringify(rows.at(-1))}`);
  }
  return rows;
}
