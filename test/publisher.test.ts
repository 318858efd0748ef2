// The control plane end to end with real processes: a publisher (two for failover), managed
// workers and a gateway on the shared redis-server, models published from a local base URI.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminRequest } from './support/admin.ts';
import { ROOT, startGateway, startManagedWorker, startPublisher, testPrefix, type Proc } from './support/fleet.ts';
import { getJson, postJson } from './support/http.ts';
import { waitFor } from './support/wait.ts';

type Served = Proc & { url: string };

describe('publisher', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('publisher');
  const repo = mkdtempSync(join(tmpdir(), 'alto-repo-'));
  const tinyBase = join(repo, 'tiny');
  let publisher: Served;
  let gateway: Served;
  const workers: Record<string, Proc> = {};

  const addVersion = (version: string, bytes?: Buffer) => {
    mkdirSync(join(tinyBase, version), { recursive: true });
    if (bytes) writeFileSync(join(tinyBase, version, 'model.onnx'), bytes);
    else cpSync(join(ROOT, 'models/tiny/1/model.onnx'), join(tinyBase, version, 'model.onnx'));
  };

  const admin = (method: string, path: string, body?: unknown, token?: string | null) =>
    adminRequest(gateway.url, method, path, body, token);
  const model = async (name: string) => (await admin('GET', `/models/${name}`)).body;
  const x = { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.25) } };
  const predict = (name: string, version?: string) =>
    postJson(
      `${gateway.url}/v1/models/${name}${version ? `/versions/${version}` : ''}/predictions`,
      { input: x },
      { prefer: 'wait=20' },
    );

  beforeAll(async () => {
    cpSync(join(ROOT, 'models/tiny/config.json'), join(tinyBase, 'config.json'), { force: true });
    addVersion('1');
    publisher = await startPublisher(redisUrl, prefix, { ALTO_ALLOWED_ROOTS: repo, ALTO_PUBLISHER_ID: 'pub-a' });
    gateway = await startGateway(redisUrl, prefix, { ALTO_PUBLISHER_URL: publisher.url });
    [workers.w1, workers.w2] = await Promise.all([
      startManagedWorker(redisUrl, prefix, 'w1', { ALTO_CACHE_DIR: join(repo, '.cache-w1') }),
      startManagedWorker(redisUrl, prefix, 'w2', { ALTO_CACHE_DIR: join(repo, '.cache-w2') }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([...Object.values(workers).map((w) => w.kill()), gateway?.kill(), publisher?.kill()]);
    rmSync(repo, { recursive: true, force: true });
  });

  it('refuses admin requests without the token or with a wrong one', async () => {
    const none = await admin('GET', '/models', undefined, null);
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ code: 'unauthorized', message: expect.stringContaining('Authorization') });
    const wrong = await admin('GET', '/models', undefined, 'not-the-token-at-all');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toMatch(/wrong admin token/);
  });

  it('refuses base URIs outside the allowed roots and invalid specs, naming the field', async () => {
    const outside = await admin('POST', '/models', { name: 'evil', uri: join(repo, '..', 'elsewhere') });
    expect(outside.status).toBe(400);
    expect(outside.body.error.code).toBe('uri_not_allowed');
    expect(outside.body.error.message).toContain(repo);
    const badName = await admin('POST', '/models', { name: 'Bad Name', uri: tinyBase });
    expect(badName.status).toBe(400);
    expect(badName.body.error.message).toMatch(/^name: /);
    const badReplicas = await admin('POST', '/models', { name: 'tiny', uri: tinyBase, replicas: 'two' });
    expect(badReplicas.status).toBe(400);
    expect(badReplicas.body.error.message).toMatch(/replicas: .*expected number, received string/);
  });

  it('publishes a model: assigned, loaded, ready, and predictions succeed', async () => {
    const created = await admin('POST', '/models', { name: 'tiny', uri: tinyBase, replicas: 1 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'tiny', uri: tinyBase, replicas: 1, version: null });
    const again = await admin('POST', '/models', { name: 'tiny', uri: tinyBase });
    expect(again.status).toBe(409);
    const ready = await waitFor(
      async () => {
        const m = await model('tiny');
        return m.status.state === 'available' ? m : undefined;
      },
      { what: 'tiny available' },
    );
    expect(ready.status).toMatchObject({
      serving_version: '1',
      target_version: '1',
      versions: ['1'],
      ready_replicas: 1,
    });
    expect(ready.workers).toHaveLength(1);
    const r = await predict('tiny');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('succeeded');
    expect(r.body.output.y ?? Object.values(r.body.output)[0]).toBeDefined();
    // Which worker holds which checkpoint.
    const { body } = await admin('GET', '/workers');
    const holder = body.workers.find((w: any) => w.models.length > 0);
    expect(holder.models).toEqual([
      expect.objectContaining({ name: 'tiny', version: '1', state: 'ready', uri: join(tinyBase, '1', 'model.onnx') }),
    ]);
    const catalog = await getJson(`${gateway.url}/v1/models/tiny`);
    expect(catalog.body).toMatchObject({ name: 'tiny', version: '1', versions: ['1'], ready_replicas: 1 });
    const metrics = await (await fetch(`${publisher.url}/metrics`)).text();
    expect(metrics).toMatch(/^alto_publisher_leader\{publisher="pub-a"\} 1$/m);
    expect(metrics).toMatch(/^alto_publisher_models\{state="available",publisher="pub-a"\} 1$/m);
    expect(metrics).toMatch(/^alto_publisher_workers\{alive="true",publisher="pub-a"\} 2$/m);
  });

  it('scales replicas up and down', async () => {
    expect((await admin('PATCH', '/models/tiny', { replicas: 2 })).status).toBe(200);
    const two = await waitFor(
      async () => {
        const m = await model('tiny');
        return m.status.ready_replicas === 2 && m.status.state === 'available' ? m : undefined;
      },
      { what: '2 replicas' },
    );
    expect(two.workers.map((w: any) => w.id).sort()).toEqual(['w1', 'w2']);
    expect((await admin('PATCH', '/models/tiny', { replicas: 1 })).status).toBe(200);
    await waitFor(async () => ((await model('tiny')).workers.length === 1 ? true : undefined), {
      what: 'back to 1 replica',
    });
    expect((await predict('tiny')).body.status).toBe('succeeded');
  });

  it('rolls out a new version under steady load with zero failed requests, then serves it pinned', async () => {
    let stop = false;
    const results: string[] = [];
    const load = Promise.all(
      [0, 1, 2].map(async () => {
        while (!stop) {
          const r = await predict('tiny');
          results.push(r.status === 200 ? r.body.status : `http ${r.status} ${JSON.stringify(r.body)}`);
        }
      }),
    );
    await waitFor(() => results.length >= 5, { what: 'load running' });
    // Availability-first: some replica is ready at every moment of the rollout.
    const readySeen: number[] = [];
    const sampler = (async () => {
      while (!stop) readySeen.push((await model('tiny')).status.ready_replicas);
    })();
    addVersion('2');
    await waitFor(
      async () => {
        const m = await model('tiny');
        return m.status.state === 'available' &&
          m.status.serving_version === '2' &&
          m.workers.every((w: any) => w.version === '2')
          ? m
          : undefined;
      },
      { what: 'version 2 rolled out', timeoutMs: 40_000 },
    );
    const during = results.length;
    await waitFor(() => results.length >= during + 5, { what: 'load after the rollout' });
    stop = true;
    await Promise.all([load, sampler]);
    expect(results.filter((s) => s !== 'succeeded')).toEqual([]);
    expect(Math.min(...readySeen)).toBeGreaterThanOrEqual(1);
    const pinned = await predict('tiny', '2');
    expect(pinned.status).toBe(200);
    expect(pinned.body).toMatchObject({ status: 'succeeded', version: '2' });
    // The status above follows the assignments; a worker may still hold version 1 for a moment
    // while it unloads, and a request pinned to it meanwhile is accepted. Once the gateway no
    // longer lists it, a request pinning it is refused.
    await waitFor(
      async () => {
        const r = await getJson(`${gateway.url}/v1/models/tiny`);
        const versions = (r.body as { versions?: string[] }).versions;
        return versions?.length === 1 && versions[0] === '2' ? versions : undefined;
      },
      { what: 'the gateway no longer lists version 1', timeoutMs: 20_000 },
    );
    const gone = await predict('tiny', '1');
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('version_not_found');
  });

  it('keeps the previous version serving when a new one fails to load, and reports why', async () => {
    addVersion('3', Buffer.from('this is not an onnx file'));
    const failed = await waitFor(
      async () => {
        const m = await model('tiny');
        return m.status.error?.includes('version 3') ? m : undefined;
      },
      { what: 'version 3 failure reported', timeoutMs: 30_000 },
    );
    expect(failed.status).toMatchObject({ state: 'available', serving_version: '2', target_version: '2' });
    expect((await predict('tiny')).body).toMatchObject({ status: 'succeeded', version: '2' });
    rmSync(join(tinyBase, '3'), { recursive: true });
  });

  it('drains a worker through the admin API: its model moves, with no failed request', async () => {
    const holder = (await model('tiny')).workers[0].id as string;
    const other = holder === 'w1' ? 'w2' : 'w1';
    expect((await admin('POST', `/workers/${holder}/drain`)).body).toEqual({ id: holder, drained: true });
    const moved = await waitFor(
      async () => {
        const m = await model('tiny');
        return m.workers.length === 1 && m.workers[0].id === other && m.status.state === 'available' ? m : undefined;
      },
      { what: `tiny moved to ${other}`, timeoutMs: 30_000 },
    );
    expect(moved.status.ready_replicas).toBe(1);
    expect((await predict('tiny')).body.status).toBe('succeeded');
    expect((await admin('DELETE', `/workers/${holder}/drain`)).body).toEqual({ id: holder, drained: false });
  });

  it('moves the models of a worker killed with SIGKILL, losing no accepted request', async () => {
    const holder = (await model('tiny')).workers[0].id as string;
    const other = holder === 'w1' ? 'w2' : 'w1';
    const before = await Promise.all(
      [0, 1, 2, 3].map(() => postJson(`${gateway.url}/v1/models/tiny/predictions`, { input: x })),
    );
    await workers[holder]!.kill('SIGKILL');
    const after = await Promise.all(
      [0, 1, 2, 3].map(() => postJson(`${gateway.url}/v1/models/tiny/predictions`, { input: x })),
    );
    await waitFor(
      async () => {
        const m = await model('tiny');
        return m.workers.length === 1 && m.workers[0].id === other && m.workers[0].state === 'ready' ? m : undefined;
      },
      { what: `tiny moved to ${other}`, timeoutMs: 30_000 },
    );
    for (const r of [...before, ...after]) {
      expect(r.status).toBe(202);
      const done = await waitFor(
        async () => {
          const p = await getJson(`${gateway.url}/v1/predictions/${r.body.id}`);
          return ['succeeded', 'failed', 'canceled', 'expired'].includes(p.body.status) ? p.body : undefined;
        },
        { what: `prediction ${r.body.id}`, timeoutMs: 30_000 },
      );
      expect(done.status).toBe('succeeded');
    }
    workers[holder] = await startManagedWorker(redisUrl, prefix, holder, {
      ALTO_CACHE_DIR: join(repo, `.cache-${holder}`),
    });
  });

  it('unpublishes: queued requests fail with model_unpublished and new ones get 404 at once', async () => {
    expect((await admin('PATCH', '/models/tiny', { replicas: 0 })).status).toBe(200);
    await waitFor(async () => ((await model('tiny')).workers.length === 0 ? true : undefined), { what: 'no replicas' });
    // The catalog keeps the model while it has no replica: requests queue.
    const queued = await Promise.all(
      [0, 1, 2].map(() => postJson(`${gateway.url}/v1/models/tiny/predictions`, { input: x })),
    );
    expect(queued.map((r) => r.status)).toEqual([202, 202, 202]);
    const gone = await admin('DELETE', '/models/tiny');
    expect(gone).toMatchObject({ status: 200, body: { name: 'tiny', unpublished: true, failed_queued: 3 } });
    for (const r of queued) {
      const p = await getJson(`${gateway.url}/v1/predictions/${r.body.id}`);
      expect(p.body).toMatchObject({ status: 'failed', error: { code: 'model_unpublished' } });
    }
    const refused = await predict('tiny');
    expect(refused.status).toBe(404);
    expect(['model_not_found', 'model_unpublished']).toContain(refused.body.error.code);
    expect((await admin('GET', '/models/tiny')).status).toBe(404);
    // Published again, it serves again.
    expect((await admin('POST', '/models', { name: 'tiny', uri: tinyBase })).status).toBe(201);
    await waitFor(async () => ((await model('tiny')).status.state === 'available' ? true : undefined), {
      what: 'tiny back',
    });
    expect((await predict('tiny')).body.status).toBe('succeeded');
  });

  it('hands leadership to a standby within the lease when the leader dies', async () => {
    const standby = await startPublisher(redisUrl, prefix, { ALTO_ALLOWED_ROOTS: repo, ALTO_PUBLISHER_ID: 'pub-b' });
    try {
      expect((await getJson(`${standby.url}/healthz`)).body.leader).toBe(false);
      expect((await getJson(`${publisher.url}/healthz`)).body.leader).toBe(true);
      await publisher.kill('SIGKILL');
      const killedAt = Date.now();
      await waitFor(async () => (await getJson(`${standby.url}/healthz`)).body.leader === true, {
        what: 'standby leads',
        timeoutMs: 10_000,
      });
      // Lease 2 s, renewal checks every lease/3: within the lease plus one check.
      expect(Date.now() - killedAt).toBeLessThan(2000 + 1000);
      // The new leader acts: a replica change is carried out.
      expect((await adminRequest(standby.url, 'PATCH', '/models/tiny', { replicas: 2 })).status).toBe(200);
      await waitFor(
        async () => {
          const m = (await adminRequest(standby.url, 'GET', '/models/tiny')).body;
          return m.status.ready_replicas === 2 ? m : undefined;
        },
        { what: '2 replicas under the new leader', timeoutMs: 30_000 },
      );
    } finally {
      publisher = standby;
    }
  });
});
