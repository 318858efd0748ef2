// A request that kills the worker process every time it runs (a native crash, an OOM kill)
// is dead-lettered after ALTO_MAX_DELIVERIES deliveries; the requests that shared its batch
// when it first crashed run again on their own and succeed. The crash comes from the
// worker's failpoint (ALTO_FAILPOINT_CRASH_ON), a real SIGKILL of the real process.
import { GROUP, keys } from '@alto/queue';
import { describe, expect, it } from 'vitest';
import { gatewayFleet, gone, spawnWorker, startWorker, type Proc } from './support/fleet.ts';
import { getJson, postJson, randomFloats } from './support/http.ts';
import { waitFor } from './support/wait.ts';

const MARKER = -7777;

describe('a request that crashes the worker process', () => {
  const f = gatewayFleet('poisoncrash');
  const { redisUrl, prefix, procs } = f;
  const env = {
    ALTO_MODELS: 'textdir',
    ALTO_WORKER_ID: 'crashy',
    ALTO_FAILPOINT_CRASH_ON: String(MARKER),
    ALTO_MAX_DELIVERIES: '3',
  };

  const body = (seed: number, first?: number) => {
    const x = Array.from(randomFloats(3 * 48 * 192, seed));
    if (first !== undefined) x[0] = first;
    return JSON.stringify({ input: { x: { datatype: 'FP32', shape: [1, 3, 48, 192], data: x } } });
  };

  it('is dead-lettered after three crashes while its batch-mates succeed', async () => {
    const { gateway, redis } = f;
    const first = await startWorker(redisUrl, prefix, env);
    procs.push(first);
    // Paused while the requests queue, so that the poison shares one batch with the others.
    first.child.kill('SIGSTOP');
    const innocents: string[] = [];
    for (let i = 0; i < 3; i++)
      innocents.push((await postJson(`${gateway.url}/v1/models/textdir/predictions`, body(i))).body.id);
    const poison = (await postJson(`${gateway.url}/v1/models/textdir/predictions`, body(9, MARKER))).body.id as string;
    for (let i = 3; i < 6; i++)
      innocents.push((await postJson(`${gateway.url}/v1/models/textdir/predictions`, body(i))).body.id);
    first.child.kill('SIGCONT');

    // A supervisor: restart the worker, under the same id, each time it dies.
    const workers: Proc[] = [first];
    const supervise = () => {
      if (gone(workers[workers.length - 1]!)) workers.push(spawnWorker(redisUrl, prefix, env));
    };
    const status = async (id: string) => (await getJson(`${gateway.url}/v1/predictions/${id}`)).body;
    await waitFor(
      async () => {
        supervise();
        const all = await Promise.all([poison, ...innocents].map(status));
        return all.every((p) => p.status === 'succeeded' || p.status === 'failed');
      },
      { timeoutMs: 120_000, intervalMs: 100, what: 'every request to end' },
    );
    procs.push(...workers.slice(1));

    const p = await status(poison);
    expect(p).toMatchObject({ status: 'failed', error: { code: 'poison' } });
    expect(p.error.message).toMatch(/delivered 4 times/);
    const mates = await Promise.all(innocents.map(status));
    expect(mates.map((m) => m.status)).toEqual(innocents.map(() => 'succeeded'));
    // They were in the batch that crashed first, then ran again on their own.
    const attempts = await Promise.all(
      innocents.map((id) => redis.hget(keys(prefix).prediction('textdir', id), 'attempts')),
    );
    expect(attempts).toContain('2');

    const output = workers.map((w) => w.output()).join('');
    expect(output.match(/failpoint: prediction \S+ kills this worker/g)).toHaveLength(3);
    expect([...output.matchAll(/failpoint: prediction (\S+) kills/g)].every((m) => m[1] === poison)).toBe(true);
    const dead = await redis.xrange(keys(prefix).dead('textdir'), '-', '+');
    expect(dead).toHaveLength(1);
    expect(dead[0]![1]).toContain(poison);
    expect((await redis.xpending(keys(prefix).stream('textdir'), GROUP))[0]).toBe(0);
  }, 150_000);
});
