// A `model.sim` checkpoint served end to end through real processes: gateway → Redis → worker
// → the simulated accelerator. Its answer is 2x + 1 computed here, the metadata says `sim`, and
// concurrent requests share batches whose cost is the model's a + b·n.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { getJson, postJson, randomFloats } from './support/http.ts';

const WIDTH = 8;

describe('sim model served end to end', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('sim');
  const repo = mkdtempSync(join(tmpdir(), 'alto-sim-repo-'));
  let worker: Proc;
  let gateway: Proc & { url: string };

  beforeAll(async () => {
    mkdirSync(join(repo, 'simmy', '1'), { recursive: true });
    writeFileSync(join(repo, 'simmy', '1', 'model.sim'), JSON.stringify({ width: WIDTH, a_ms: 30, b_ms: 1 }));
    writeFileSync(join(repo, 'simmy', 'config.json'), JSON.stringify({ max_batch_size: 16, max_queue_delay_ms: 5 }));
    worker = await startWorker(redisUrl, prefix, { ALTO_MODEL_REPOSITORY: repo });
    gateway = await startGateway(redisUrl, prefix);
  });
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill()]);
    rmSync(repo, { recursive: true, force: true });
  });

  it("lists the model with platform 'sim' and the I/O its model.sim declares", async () => {
    const r = await getJson(`${gateway.url}/v1/models/simmy`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      platform: 'sim',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, WIDTH] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, WIDTH] }],
    });
  });

  it('answers every concurrent request with 2x + 1 of its own input, in shared batches', async () => {
    const xs = Array.from({ length: 12 }, (_, i) => Array.from(randomFloats(WIDTH, 100 + i)));
    const replies = await Promise.all(
      xs.map((x) =>
        postJson(
          `${gateway.url}/v1/models/simmy/predictions`,
          { input: { x: { datatype: 'FP32', shape: [1, WIDTH], data: x } } },
          { prefer: 'wait=20' },
        ),
      ),
    );
    replies.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.body.status).toBe('succeeded');
      expect(r.body.output.y.shape).toEqual([1, WIDTH]);
      const want = xs[i]!.map((v) => Math.fround(Math.fround(v) * 2 + 1));
      r.body.output.y.data.forEach((v: number, j: number) => expect(v).toBeCloseTo(want[j]!, 5));
    });
    // One worker with one slot and a 30 ms batch: 12 requests cannot all run alone.
    expect(Math.max(...replies.map((r) => r.body.metrics.batch_size))).toBeGreaterThan(1);
  });
});
