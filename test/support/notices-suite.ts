// Completion notices with two gateway processes on one Redis (or one Redis Cluster): each
// gateway receives only the notices of the requests it holds, while every `Prefer: wait`
// through either completes. Shared by test/notices.test.ts (one redis-server) and
// test/cluster-notices.test.ts (sharded pub/sub on the 3-master cluster).
import { connect, keys as makeKeys } from '@alto/queue';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, startWorker, testPrefix, type Proc } from './fleet.ts';
import { getJson, postJson, randomFloats } from './http.ts';
import { waitFor } from './wait.ts';

const tinyX = (seed: number) => ({
  x: { datatype: 'FP32', shape: [1, 64], data: Array.from(randomFloats(64, seed)) },
});

/** The gateway's count of completion notices received on `channel` ('own' | 'shared'). */
async function noticesOf(gatewayUrl: string, channel: string): Promise<number> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  const m = new RegExp(`^alto_gateway_completion_notices_total\\{channel="${channel}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

export function noticesSuite(name: string, redisUrl: () => string, env: Record<string, string>): void {
  const prefix = testPrefix(name);
  const keys = makeKeys(prefix);
  const cluster = env.ALTO_REDIS_CLUSTER === 'true';
  const procs: Proc[] = [];
  let a: Proc & { url: string };
  let b: Proc & { url: string };
  let worker: Proc;
  let redis: Redis;
  let observer: Redis;
  let shared = 0;

  beforeAll(async () => {
    redis = await connect(redisUrl(), { name: 'test', cluster });
    // What earlier versions broadcast to every gateway: nothing may arrive there now.
    observer = await connect(redisUrl(), { name: 'test-observer', cluster });
    observer.on('message', () => shared++);
    await observer.subscribe(keys.completions);
    [a, b, worker] = await Promise.all([
      startGateway(redisUrl(), prefix, env),
      startGateway(redisUrl(), prefix, env),
      startWorker(redisUrl(), prefix, { ...env, ALTO_MODELS: 'tiny' }),
    ]);
    procs.push(a, b, worker);
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await observer?.quit();
    await redis?.quit();
  });

  const predict = (gateway: { url: string }, seed: number, headers: Record<string, string> = { prefer: 'wait=30' }) =>
    postJson(`${gateway.url}/v1/models/tiny/predictions`, { input: tinyX(seed) }, headers);

  /** Every master's shard channels of this prefix, by node. */
  const shardChannels = async (): Promise<Map<Redis, string[]>> => {
    const nodes = cluster ? (redis as unknown as Cluster).nodes('master') : [redis];
    const out = new Map<Redis, string[]>();
    for (const node of nodes) out.set(node, (await node.pubsub('SHARDCHANNELS', `${prefix}:*`)) as string[]);
    return out;
  };

  it('each gateway receives the notices of its own waiting requests only, and every wait completes', async () => {
    const [viaA, viaB] = await Promise.all([
      Promise.all([1, 2, 3, 4, 5, 6].map((s) => predict(a, s))),
      Promise.all([7, 8, 9].map((s) => predict(b, s))),
    ]);
    for (const r of [...viaA, ...viaB]) {
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.status).toBe('succeeded');
    }
    expect(await noticesOf(a.url, 'own')).toBe(6);
    expect(await noticesOf(b.url, 'own')).toBe(3);
    expect(await noticesOf(a.url, 'shared')).toBe(0);
    expect(await noticesOf(b.url, 'shared')).toBe(0);
    // One channel per gateway for the model, on the shard holding the model's slot.
    const channels = await shardChannels();
    const all = [...channels.values()].flat();
    expect(all).toHaveLength(2);
    for (const c of all) expect(c.startsWith(keys.notices('tiny', ''))).toBe(true);
    if (cluster) {
      const slot = Number(await redis.cluster('KEYSLOT', keys.stream('tiny')));
      for (const c of all) expect(Number(await redis.cluster('KEYSLOT', c))).toBe(slot);
      expect([...channels.values()].filter((c) => c.length > 0)).toHaveLength(1);
    }
  });

  it('a request nobody waits for sends no notice', async () => {
    const before = [await noticesOf(a.url, 'own'), await noticesOf(b.url, 'own')];
    const r = await predict(a, 11, {});
    expect(r.status).toBe(202);
    await waitFor(
      async () => (await getJson(`${a.url}/v1/predictions/${r.body.id}`)).body.status === 'succeeded' || undefined,
      { what: 'the prediction to succeed' },
    );
    // A waited request after it: its notice comes after any the first could have sent.
    expect((await predict(a, 12)).status).toBe(200);
    expect([await noticesOf(a.url, 'own'), await noticesOf(b.url, 'own')]).toEqual([before[0]! + 1, before[1]]);
  });

  it('a repeated Idempotency-Key waiting through the other gateway is notified too', async () => {
    const before = [await noticesOf(a.url, 'own'), await noticesOf(b.url, 'own')];
    // Paused, the worker reads nothing: both requests wait on the one queued prediction.
    worker.child.kill('SIGSTOP');
    let resumed = false;
    try {
      const key = { prefer: 'wait=30', 'idempotency-key': `${name}-1` };
      const first = predict(a, 21, key);
      await waitFor(async () => (await redis.xlen(keys.stream('tiny'))) === 1 || undefined, {
        what: 'the request queued',
      });
      const again = predict(b, 21, key);
      // Both are held before the worker resumes.
      await waitFor(
        async () =>
          /alto_gateway_waiting_requests 1\b/.test(await (await fetch(`${b.url}/metrics`)).text()) || undefined,
        { what: 'the second request held by gateway b' },
      );
      worker.child.kill('SIGCONT');
      resumed = true;
      const [r1, r2] = await Promise.all([first, again]);
      expect([r1.status, r2.status]).toEqual([200, 200]);
      expect(r2.body.id).toBe(r1.body.id);
      expect(r2.headers.get('idempotent-replayed')).toBe('true');
      expect(r2.body.status).toBe('succeeded');
    } finally {
      if (!resumed) worker.child.kill('SIGCONT');
    }
    expect([await noticesOf(a.url, 'own'), await noticesOf(b.url, 'own')]).toEqual([before[0]! + 1, before[1]! + 1]);
  });

  it('nothing was broadcast on the shared channel of earlier versions', async () => {
    // A message published after every request above arrives after any they caused.
    await redis.publish(keys.completions, 'marker');
    await waitFor(() => shared >= 1 || undefined, { what: 'the marker' });
    expect(shared).toBe(1);
  });

  it('a wait held while the subscriber connections are cut still completes', async () => {
    worker.child.kill('SIGSTOP');
    let resumed = false;
    try {
      const started = Date.now();
      const held = predict(a, 31);
      await waitFor(async () => (await redis.xlen(keys.stream('tiny'))) === 1 || undefined, {
        what: 'the request queued',
      });
      // Every pub/sub connection on every node (in a cluster, each master's shard subscriber):
      // a notice published before they are back is lost, and the gateway re-checks instead.
      const nodes = cluster ? (redis as unknown as Cluster).nodes('all') : [redis];
      for (const node of nodes) await node.client('KILL', 'TYPE', 'pubsub');
      worker.child.kill('SIGCONT');
      resumed = true;
      const r = await held;
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.status).toBe('succeeded');
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      if (!resumed) worker.child.kill('SIGCONT');
    }
  });
}
