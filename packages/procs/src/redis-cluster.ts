// A local Redis Cluster for tests, the chaos runner and the benchmark: N masters with R
// replicas each, made of redis-server processes on free ports (client and bus ports) and joined
// with `redis-cli --cluster create`. Not a Redis client; no persistence.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { ensureRedisServer } from './redis.ts';
import { startProc, type Proc } from './proc.ts';

export interface StartRedisClusterOptions {
  /** @default 3 */
  masters?: number;
  /** Replicas of each master. @default 1 */
  replicas?: number;
  /**
   * How long a master may be unreachable before its replica is promoted (cluster-node-timeout).
   * @default 2000
   */
  nodeTimeoutMs?: number;
  /** Further redis-server arguments for every node. */
  args?: readonly string[];
  /** Install redis-server when missing (see ensureRedisServer). @default true */
  install?: boolean;
  onInstall?: (message: string) => void;
  /** Until every node reports cluster_state:ok. @default 60_000 */
  timeoutMs?: number;
}

export interface ClusterNodeProc {
  port: number;
  /** The node's current process (replaced by restart). */
  proc: Proc;
  /** Starts the node again after it died, with its cluster config: it rejoins (as a replica if it was failed over). */
  restart(): Promise<void>;
}

export interface RedisCluster {
  /** Every node, comma-separated: a REDIS_URL for ALTO_REDIS_CLUSTER=true. */
  url: string;
  nodes: ClusterNodeProc[];
  /** The node currently serving `slot` as master (asks the nodes: it changes at failover). */
  masterOf(slot: number): ClusterNodeProc;
  /** The replicas of the master on `port`, as it reports them (INFO replication). */
  replicasOf(port: number): ClusterNodeProc[];
  /** Stops every node (SIGTERM, SIGKILL past 10 s) and removes their files. */
  stop(): Promise<void>;
}

const cli = (port: number, ...args: string[]) =>
  spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });

export async function startRedisCluster(opts: StartRedisClusterOptions = {}): Promise<RedisCluster> {
  if (opts.install ?? true) ensureRedisServer(opts.onInstall);
  if (spawnSync('sh', ['-c', 'command -v redis-cli']).status !== 0) {
    throw new Error('redis-cli is not installed; it joins the cluster (Debian: `apt-get install -y redis-tools`)');
  }
  const masters = opts.masters ?? 3;
  const count = masters * (1 + (opts.replicas ?? 1));
  const dir = mkdtempSync(join(tmpdir(), 'alto-cluster-'));
  const nodes: ClusterNodeProc[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.proc.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const started = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const argsFor = (port: number, bus: number) => [
          '--port',
          String(port),
          '--cluster-port',
          String(bus),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${i}.conf`),
          '--cluster-node-timeout',
          String(opts.nodeTimeoutMs ?? 2000),
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
          // Replicas sync at once rather than after the default 5 s of waiting for more.
          '--repl-diskless-sync-delay',
          '0',
          ...(opts.args ?? []),
        ];
        const start = (port: number, bus: number) =>
          startProc('redis-server', argsFor(port, bus), {
            name: `redis-cluster:${port}`,
            ready: /Ready to accept connections/i,
            outputLimit: 64 * 1024,
            timeoutMs: 30_000,
          });
        // The bus port is chosen too (Redis ≥ 7): port + 10000 may be taken or out of range.
        // Another process may bind a chosen port before the node does (an outgoing connection
        // takes its local port from the same range): then the node starts on two others.
        let port = 0;
        let bus = 0;
        let proc: Proc | undefined;
        for (let attempt = 1; !proc; attempt++) {
          port = await freePort();
          bus = await freePort();
          proc = await start(port, bus).catch((err: unknown) => {
            if (attempt < 5 && addressInUse(err)) return undefined;
            throw err;
          });
          // A node that could not bind may have saved a config naming the ports it lost.
          if (!proc) rmSync(join(dir, `nodes-${i}.conf`), { force: true });
        }
        const node: ClusterNodeProc = {
          port,
          proc,
          restart: async () => {
            if (!node.proc.gone()) throw new Error(`redis-cluster:${port} is still running`);
            // Its cluster config names these ports: it waits for them rather than moving.
            const deadline = Date.now() + 15_000;
            for (;;) {
              try {
                node.proc = await start(port, bus);
                return;
              } catch (err) {
                if (!addressInUse(err) || Date.now() > deadline) throw err;
                await new Promise((r) => setTimeout(r, 250));
              }
            }
          },
        };
        return node;
      }),
    );
    nodes.push(...started);
    const create = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        String(opts.replicas ?? 1),
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    await untilOk(nodes, opts.replicas ?? 1, opts.timeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: nodes.map((n) => `redis://127.0.0.1:${n.port}`).join(','),
    nodes,
    masterOf(slot) {
      for (const n of nodes) {
        if (n.proc.gone()) continue;
        const r = cli(n.port, 'cluster', 'nodes');
        if (r.status !== 0) continue;
        const port = masterPortOf(r.stdout, slot);
        const node = nodes.find((x) => x.port === port);
        if (node) return node;
      }
      throw new Error(`no live node says which master serves slot ${slot}`);
    },
    replicasOf(port) {
      const info = cli(port, 'info', 'replication').stdout ?? '';
      const ports = [...info.matchAll(/^slave\d+:.*port=(\d+)/gm)].map((m) => Number(m[1]));
      return nodes.filter((n) => ports.includes(n.port));
    },
    stop,
  };
}

const addressInUse = (err: unknown) => err instanceof Error && /Address already in use/.test(err.message);

/**
 * Waits until every node says cluster_state:ok and knows every node (the slots are served),
 * and every master has its replicas online (a WAIT for them can succeed).
 */
async function untilOk(nodes: ClusterNodeProc[], replicas: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = nodes.map((n) => {
      const info = cli(n.port, 'cluster', 'info').stdout ?? '';
      const replication = cli(n.port, 'info', 'replication').stdout ?? '';
      const online = [...replication.matchAll(/^slave\d+:.*state=online/gm)].length;
      return (
        /cluster_state:ok/.test(info) &&
        new RegExp(`cluster_known_nodes:${nodes.length}\\b`).test(info) &&
        (!/role:master/.test(replication) || online >= replicas)
      );
    });
    if (states.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`the Redis Cluster did not reach cluster_state:ok in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The port of the master serving `slot`, from CLUSTER NODES output: one line per node,
 * `<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges...>`.
 */
export function masterPortOf(clusterNodes: string, slot: number): number | undefined {
  for (const line of clusterNodes.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 9) continue;
    const flags = f[2]!.split(',');
    if (!flags.includes('master') || flags.some((x) => x === 'fail' || x === 'fail?')) continue;
    for (const range of f.slice(8)) {
      const [a, b] = range.split('-').map(Number);
      if (slot >= a! && slot <= (b ?? a)!) return Number(/:(\d+)/.exec(f[1]!)?.[1]);
    }
  }
  return undefined;
}
