// The `alto` command end to end: the bin npm links, spawned as a user would, against a real
// gateway and worker on the test redis-server. Checks stdout, stderr and exit statuses.
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelInfo } from '@alto/protocol';
import { RedisModelRegistry, connect, keys } from '@alto/queue';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BIN, alto } from './support/cli.ts';
import { ROOT, startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { expectClose, randomFloats } from './support/http.ts';
import { runDirect } from './support/ort.ts';
import { freePort } from './support/redis-server.ts';
import { waitFor } from './support/wait.ts';

// Registered but served by no worker: its predictions wait in the queue until they expire.
const idle: ModelInfo = {
  name: 'idle',
  version: '1',
  versions: ['1'],
  platform: 'onnx',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 64] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 10] }],
  batching: { max_batch_size: 4, max_queue_delay_ms: 0 },
};

describe('alto predict and get', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('cli');
  let worker: Proc;
  let gateway: Proc & { url: string };
  let env: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    const redis = await connect(redisUrl, { name: 'test' });
    await new RedisModelRegistry(redis, keys(prefix)).put(idle);
    await redis.quit();
    worker = await startWorker(redisUrl, prefix);
    gateway = await startGateway(redisUrl, prefix);
    env = { ALTO_URL: gateway.url };
    dir = mkdtempSync(join(tmpdir(), 'alto-cli-'));
  });
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill()]);
  });

  const tensorFile = (name: string, x: Float32Array, shape: number[]) => {
    writeFileSync(join(dir, name), JSON.stringify({ datatype: 'FP32', shape, data: Array.from(x) }));
  };

  it('is linked by npm as node_modules/.bin/alto', () => {
    expect(realpathSync(BIN)).toBe(join(ROOT, 'apps', 'cli', 'bin', 'alto.mjs'));
  });

  it('predict --input x=@FILE --wait prints the succeeded prediction, equal to a direct onnxruntime run, and exits 0', async () => {
    const x = randomFloats(2 * 64, 21);
    tensorFile('x.json', x, [2, 64]);
    const r = await alto(['predict', 'tiny', '--input', 'x=@x.json', '--wait=30'], { env, cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p).toMatchObject({ model: 'tiny', status: 'succeeded', error: null });
    expect(p.output.y.shape).toEqual([2, 10]);
    expectClose(p.output.y.data, (await runDirect('tiny', 'x', x, [2, 64])).data);
  });

  it('runs the README example: predict textdir --json @examples/textdir.json --wait', async () => {
    const r = await alto(['predict', 'textdir', '--json', '@examples/textdir.json', '--wait'], { env, cwd: ROOT });
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p.status).toBe('succeeded');
    expect(p.output['softmax_0.tmp_0'].shape).toEqual([1, 2]);
  });

  it('predict without --wait prints the queued prediction; get ID then prints it finished', async () => {
    const x = randomFloats(64, 22);
    const body = JSON.stringify({ input: { x: { datatype: 'FP32', shape: [1, 64], data: Array.from(x) } } });
    const r = await alto(['predict', 'tiny', '--json', body], { env });
    expect(r.code).toBe(0);
    const queued = JSON.parse(r.stdout);
    expect(queued.id).toMatch(/^tiny\./);
    const done = await waitFor(
      async () => {
        const g = await alto(['get', queued.id], { env });
        expect(g.code).toBe(0);
        const p = JSON.parse(g.stdout);
        return p.status === 'succeeded' ? p : undefined;
      },
      { what: `alto get ${queued.id} to say succeeded` },
    );
    expectClose(done.output.y.data, (await runDirect('tiny', 'x', x, [1, 64])).data);
  });

  it('exits 1 when the prediction ends expired, still printing it, with the reason on stderr', async () => {
    const body = { input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0) } }, timeout_ms: 50 };
    writeFileSync(join(dir, 'body.json'), JSON.stringify(body));
    const r = await alto(['predict', 'idle', '--json', '@body.json', '--wait=1'], { env, cwd: dir });
    expect(r.code).toBe(1);
    const p = JSON.parse(r.stdout);
    expect(p.status).toBe('expired');
    expect(r.stderr).toBe(`alto: prediction ${p.id} expired: deadline_exceeded: ${p.error.message}\n`);
    const g = await alto(['get', p.id], { env });
    expect(g.code).toBe(1);
    expect(JSON.parse(g.stdout).status).toBe('expired');
  });

  it("keeps waiting past the server's longest hold by polling, until --wait=N runs out", async () => {
    const short = await startGateway(redisUrl, prefix, { ALTO_MAX_WAIT_SECONDS: '1' });
    try {
      // Expires 2 s after submission: after the server's 1 s hold, well before --wait=20 ends.
      const body = {
        input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0) } },
        timeout_ms: 2000,
      };
      const r = await alto(['predict', 'idle', '--json', JSON.stringify(body), '--wait=20', '--url', short.url]);
      expect(JSON.parse(r.stdout).status).toBe('expired');
      expect(r.code).toBe(1);
    } finally {
      await short.kill();
    }
  });

  it('exits 3 naming the URL when nothing listens there', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await alto(['get', 'tiny.x', '--url', url]);
    expect(r).toEqual({ code: 3, stdout: '', stderr: `alto: cannot reach ${url}: connection refused\n` });
  });
});
