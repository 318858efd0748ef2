// At-least-once: entries a worker held when it was killed are taken over by another worker
// once they have been idle for the visibility timeout, and every accepted request finishes.
import { GROUP, keys } from '@alto/queue';
import { describe, expect, it } from 'vitest';
import { gatewayFleet, queueBacklog, startWorker, waitHoldingMidLoad } from './support/fleet.ts';
import { getJson } from './support/http.ts';
import { waitFor } from './support/wait.ts';

describe('crash redelivery', () => {
  const f = gatewayFleet('redelivery');
  const { redisUrl, prefix, procs } = f;
  const fast = { ALTO_MODELS: 'textdir', ALTO_VISIBILITY_TIMEOUT_MS: '1000' };

  it('finishes every request after a worker is SIGKILLed mid-load, with nothing left pending', async () => {
    const { gateway, redis } = f;
    const stream = keys(prefix).stream('textdir');
    const doomed = await startWorker(redisUrl, prefix, { ...fast, ALTO_WORKER_ID: 'doomed' });
    procs.push(doomed);
    // Paused while the load is queued, so that it is busy with a backlog when it dies.
    const ids = await queueBacklog(doomed, gateway.url, 300, 2);

    // Kill it while it holds entries it has read but not settled.
    await waitHoldingMidLoad(redis, stream, 'doomed', ids.length);
    await doomed.kill('SIGKILL');
    const [heldByDead] = (await redis.xpending(stream, GROUP)) as [number];
    expect(heldByDead).toBeGreaterThan(0);

    const rescuer = await startWorker(redisUrl, prefix, { ...fast, ALTO_WORKER_ID: 'rescuer' });
    procs.push(rescuer);
    const statuses = async () =>
      Promise.all(ids.map(async (id) => (await getJson(`${gateway.url}/v1/predictions/${id}`)).body.status as string));
    await waitFor(async () => (await statuses()).every((s) => s === 'succeeded'), {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: 'every request to succeed',
    });
    expect((await redis.xpending(stream, GROUP))[0]).toBe(0);
    expect(await redis.xlen(stream)).toBe(0);
    expect(rescuer.output()).toMatch(/took over entries of a silent worker/);
  });
});
