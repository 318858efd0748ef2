// A worker given SIGTERM under load stops reading, finishes what it read, acknowledges it
// and exits 0: nothing stays pending, nothing is lost, the rest waits for the next worker.
import { GROUP, keys } from '@alto/queue';
import { describe, expect, it } from 'vitest';
import { gatewayFleet, startWorker } from './support/fleet.ts';
import { getJson, postJson, randomFloats } from './support/http.ts';
import { waitFor } from './support/wait.ts';

describe('graceful drain', () => {
  const f = gatewayFleet('drain');
  const { redisUrl, prefix, procs } = f;

  it('finishes in-flight batches on SIGTERM, leaves nothing pending, and loses nothing', async () => {
    const { gateway, redis } = f;
    // A first worker registers the model, then stops: an idle worker exits 0 at once.
    const first = await startWorker(redisUrl, prefix, { ALTO_MODELS: 'textdir', ALTO_WORKER_ID: 'drain-0' });
    procs.push(first);
    expect(await first.kill('SIGTERM')).toBe(0);

    const x = Array.from(randomFloats(3 * 48 * 192, 1));
    const body = JSON.stringify({ input: { x: { datatype: 'FP32', shape: [1, 3, 48, 192], data: x } } });
    const ids: string[] = [];
    for (let i = 0; i < 400; i++) {
      const r = await postJson(`${gateway.url}/v1/models/textdir/predictions`, body);
      expect(r.status).toBe(202);
      ids.push(r.body.id);
    }
    const statuses = async () =>
      Promise.all(ids.map(async (id) => (await getJson(`${gateway.url}/v1/predictions/${id}`)).body.status as string));
    const stream = keys(prefix).stream('textdir');
    // The whole load is queued before the worker starts, so SIGTERM lands mid-load.
    const worker = await startWorker(redisUrl, prefix, { ALTO_MODELS: 'textdir', ALTO_WORKER_ID: 'drain-1' });
    procs.push(worker);
    await waitFor(async () => (await redis.xlen(stream)) < ids.length, { what: 'first results' });

    expect(await worker.kill('SIGTERM')).toBe(0);
    const [pending] = (await redis.xpending(stream, GROUP)) as [number];
    expect(pending).toBe(0);
    const after = await statuses();
    expect(after.filter((s) => s !== 'queued' && s !== 'succeeded')).toEqual([]);
    // The drain stopped a load in progress: some work was left for the next worker.
    expect(after.filter((s) => s === 'queued').length).toBeGreaterThan(0);

    const next = await startWorker(redisUrl, prefix, { ALTO_MODELS: 'textdir', ALTO_WORKER_ID: 'drain-2' });
    procs.push(next);
    await waitFor(async () => (await statuses()).every((s) => s === 'succeeded'), {
      timeoutMs: 60_000,
      what: 'all succeeded',
    });
    expect(await redis.xlen(stream)).toBe(0);
  });
});
