// At-least-once: entries a worker held when it was killed are taken over by another worker
// once they have been idle for the visibility timeout, and every accepted request finishes.
import { GROUP, keys } from '@alto/queue';
import { describe, expect, it } from 'vitest';
import { gatewayFleet, startWorker } from './support/fleet.ts';
import { getJson, postJson, randomFloats } from './support/http.ts';
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
    const x = Array.from(randomFloats(3 * 48 * 192, 2));
    const body = JSON.stringify({ input: { x: { datatype: 'FP32', shape: [1, 3, 48, 192], data: x } } });
    const ids: string[] = [];
    // Paused while the load is queued, so that it is busy with a backlog when it dies.
    doomed.child.kill('SIGSTOP');
    for (let i = 0; i < 300; i++)
      ids.push((await postJson(`${gateway.url}/v1/models/textdir/predictions`, body)).body.id);
    doomed.child.kill('SIGCONT');

    // Kill it while it holds entries it has read but not settled.
    await waitFor(
      async () => {
        const [pending, , , consumers] = (await redis.xpending(stream, GROUP)) as [
          number,
          string,
          string,
          [string, string][],
        ];
        return (
          pending > 0 &&
          (consumers ?? []).some(([name]) => name === 'doomed') &&
          (await redis.xlen(stream)) < ids.length
        );
      },
      { what: 'the worker to hold entries mid-load' },
    );
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
