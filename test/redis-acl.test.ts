// Least privilege between the fleet's parts: on a redis-server of its own, each role gets an
// ACL user (aclRules of @alto/queue) and each process connects as its own. The whole path
// works with exactly those rights — publish, predict, a webhook delivered, drain, dead
// letters — and each role is refused outside them (a worker cannot write the catalog, a
// gateway cannot XACK, nobody can FLUSHALL or touch another installation's keys).
import { generateSecret } from '@alto/webhooks';
import { REDIS_ROLES, aclRules, createAclUsers, keys as makeKeys, urlWithUser, type RedisRole } from '@alto/queue';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminRequest } from './support/admin.ts';
import {
  ROOT,
  startDispatcher,
  startGateway,
  startManagedWorker,
  startPublisher,
  testPrefix,
  type Proc,
} from './support/fleet.ts';
import { getJson, postJson } from './support/http.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { startRedis, type TestRedis } from './support/redis-server.ts';
import { waitFor } from './support/wait.ts';

const x = { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.25) } };

describe('Redis ACL users per role', () => {
  const prefix = testPrefix('acl');
  const k = makeKeys(prefix);
  const repo = mkdtempSync(join(tmpdir(), 'alto-acl-'));
  const creds = Object.fromEntries(
    REDIS_ROLES.map((r) => [r, { username: `${prefix}-${r}`, password: `${r}-${generateSecret().slice(6, 30)}` }]),
  ) as Record<RedisRole, { username: string; password: string }>;
  let server: TestRedis;
  let admin_: Redis;
  const as: Partial<Record<RedisRole, Redis>> = {};
  const url = (role: RedisRole) => urlWithUser(server.url, creds[role]);
  const procs: Proc[] = [];
  let gateway: Proc & { url: string };
  let publisher: Proc & { url: string };
  let receiver: Receiver;

  /** The error code Redis answers `args` with as `role`, or 'OK' when it runs. */
  const attempt = async (role: RedisRole, ...args: (string | number)[]) => {
    try {
      await as[role]!.call(String(args[0]), ...args.slice(1).map(String));
      return 'OK';
    } catch (err) {
      return (err as Error).message.split(' ')[0];
    }
  };

  beforeAll(async () => {
    server = await startRedis();
    admin_ = new Redis(server.url);
    await createAclUsers(admin_, prefix, creds);
    for (const role of REDIS_ROLES) as[role] = new Redis(url(role));
    mkdirSync(join(repo, 'tiny', '1'), { recursive: true });
    cpSync(join(ROOT, 'models/tiny/1/model.onnx'), join(repo, 'tiny', '1', 'model.onnx'));
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    for (const r of Object.values(as)) r?.disconnect();
    admin_?.disconnect();
    await server?.stop();
    await receiver?.close();
    rmSync(repo, { recursive: true, force: true });
  });

  it('each role is refused outside its rights', async () => {
    const stream = k.stream('tiny');
    await admin_.xgroup('CREATE', stream, 'workers', '$', 'MKSTREAM');
    // Nobody may flush, reconfigure, list every key or change ACLs; nobody reaches another installation.
    for (const role of REDIS_ROLES) {
      expect(await attempt(role, 'FLUSHALL'), role).toBe('NOPERM');
      expect(await attempt(role, 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'), role).toBe('NOPERM');
      expect(await attempt(role, 'KEYS', '*'), role).toBe('NOPERM');
      expect(await attempt(role, 'ACL', 'SETUSER', 'x', 'on'), role).toBe('NOPERM');
      expect(await attempt(role, 'GET', 'other:{tiny}:p:1'), role).toBe('NOPERM');
      expect(await attempt(role, 'INFO', 'memory'), role).toBe('OK');
    }
    // A worker cannot write the catalog, the specs or the assignments; it may write its report.
    expect(await attempt('worker', 'HSET', k.models, 'tiny', '{}')).toBe('NOPERM');
    expect(await attempt('worker', 'HSET', k.specs, 'tiny', '{}')).toBe('NOPERM');
    expect(await attempt('worker', 'HSET', `${prefix}:{control}:assignments`, 'w', '{}')).toBe('NOPERM');
    expect(await attempt('worker', 'HGETALL', k.models)).toBe('OK');
    expect(await attempt('worker', 'HSET', `${prefix}:{control}:workers`, 'w', '{}')).toBe('OK');
    expect(await attempt('worker', 'XACK', stream, 'workers', '1-0')).toBe('OK');
    // Every model name but the two reserved tags is a model's, however close it comes to them.
    for (const name of ['c', 'b', 'co', 'contro', 'controls', 'control2', 'bul', 'bulls', 'x', 'owner:k']) {
      expect(await attempt('worker', 'SET', `${prefix}:{${name}}:probe`, '1'), name).toBe('OK');
      expect(await attempt('gateway', 'SET', `${prefix}:{${name}}:probe`, '1'), name).toBe('OK');
      await admin_.del(`${prefix}:{${name}}:probe`);
    }
    expect(await attempt('worker', 'SET', `${prefix}:{bull}:probe`, '1')).toBe('NOPERM');
    // Completion notices go on a model's shard channel; the control plane's channels are not theirs.
    expect(await attempt('worker', 'SPUBLISH', `${prefix}:{tiny}:notices:g1`, 'id')).toBe('OK');
    expect(await attempt('gateway', 'SPUBLISH', `${prefix}:{tiny}:notices:g1`, 'id')).toBe('OK');
    expect(await attempt('worker', 'SPUBLISH', `${prefix}:{control}:notices:g1`, 'id')).toBe('NOPERM');
    expect(await attempt('gateway', 'PUBLISH', `${prefix}:assign`, '*')).toBe('NOPERM');
    // A gateway cannot consume a stream or write the control plane; it may enqueue and read the catalog.
    expect(await attempt('gateway', 'XACK', stream, 'workers', '1-0')).toBe('NOPERM');
    expect(await attempt('gateway', 'XREADGROUP', 'GROUP', 'workers', 'g', 'STREAMS', stream, '>')).toBe('NOPERM');
    expect(await attempt('gateway', 'XAUTOCLAIM', stream, 'workers', 'g', 0, '0-0')).toBe('NOPERM');
    expect(await attempt('gateway', 'HSET', k.models, 'tiny', '{}')).toBe('NOPERM');
    expect(await attempt('gateway', 'HGETALL', k.models)).toBe('OK');
    expect(await attempt('gateway', 'XADD', stream, '*', 'f', 'v')).toBe('OK');
    expect(await attempt('gateway', 'HSET', `${k.webhookQueuePrefix}:webhooks:1`, 'f', 'v')).toBe('NOPERM');
    // The dispatcher runs the webhook queue but cannot touch the control plane.
    expect(await attempt('dispatcher', 'HSET', `${k.webhookQueuePrefix}:webhooks:1`, 'f', 'v')).toBe('OK');
    expect(await attempt('dispatcher', 'HGETALL', k.specs)).toBe('NOPERM');
    expect(await attempt('dispatcher', 'SADD', k.webhookModels, 'x')).toBe('NOPERM');
    // The publisher holds the installation's keys, still without dangerous commands (above).
    expect(await attempt('publisher', 'HSET', k.specs, 'probe', '{}')).toBe('OK');
    await admin_.del(stream, k.specs, `${k.webhookQueuePrefix}:webhooks:1`, `${prefix}:{control}:workers`);
  });

  it('the fleet works with each part connected as its own user', async () => {
    const receiverAllow = { ALTO_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32' };
    publisher = await startPublisher(url('publisher'), prefix, { ALTO_ALLOWED_ROOTS: repo });
    gateway = await startGateway(url('gateway'), prefix, { ...receiverAllow, ALTO_PUBLISHER_URL: publisher.url });
    const worker = await startManagedWorker(url('worker'), prefix, 'acl-w1', {
      ALTO_CACHE_DIR: join(repo, '.cache'),
      ALTO_ALLOWED_ROOTS: repo,
    });
    const dispatcher = await startDispatcher(url('dispatcher'), prefix, {
      ...receiverAllow,
      ALTO_WEBHOOK_SECRET: generateSecret(),
      ALTO_DISPATCHER_ID: 'acl-d1',
    });
    procs.push(publisher, gateway, worker, dispatcher);
    const admin = (method: string, path: string, body?: unknown) => adminRequest(gateway.url, method, path, body);

    expect((await admin('POST', '/models', { name: 'tiny', uri: join(repo, 'tiny'), replicas: 1 })).status).toBe(201);
    await waitFor(
      async () => ((await admin('GET', '/models/tiny')).body.status.state === 'available' ? true : undefined),
      {
        what: 'tiny available',
        timeoutMs: 60_000,
      },
    );
    const sync = await postJson(`${gateway.url}/v1/models/tiny/predictions`, { input: x }, { prefer: 'wait=20' });
    expect(sync.status, JSON.stringify(sync.body)).toBe(200);
    expect(sync.body.status).toBe('succeeded');

    const queued = await postJson(`${gateway.url}/v1/models/tiny/predictions`, {
      input: x,
      webhook: `${receiver.url}/hook`,
    });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    await waitFor(() => (receiver.to('/hook').some((r) => r.body.includes('"succeeded"')) ? true : undefined), {
      what: 'the webhook delivered',
      timeoutMs: 60_000,
    });
    const done = await getJson(`${gateway.url}/v1/predictions/${queued.body.id}`);
    expect(done.body.status).toBe('succeeded');

    expect((await admin('POST', '/workers/acl-w1/drain')).status).toBe(200);
    expect((await admin('DELETE', '/workers/acl-w1/drain')).status).toBe(200);
    expect((await admin('GET', '/models/tiny/dead-letters')).status).toBe(200);
    expect((await admin('POST', '/models/tiny/dead-letters/replay', {})).status).toBe(200);
    expect((await admin('GET', '/audit')).body.events.length).toBe(4);
    expect((await admin('DELETE', '/models/tiny')).status).toBe(200);

    // Each process connected as its own user.
    const clients = (await admin_.call('CLIENT', 'LIST')) as string;
    const users = new Map<string, Set<string>>();
    for (const line of clients.trim().split('\n')) {
      const name = /\bname=alto-(\w+)/.exec(line)?.[1];
      const user = /\buser=(\S+)/.exec(line)?.[1];
      if (name && user) users.set(name, (users.get(name) ?? new Set()).add(user));
    }
    for (const role of REDIS_ROLES) expect([...(users.get(role) ?? [])], role).toEqual([creds[role].username]);

    // Nothing was refused along the way.
    for (const p of procs) expect(p.output(), p.name).not.toMatch(/NOPERM/);
  });

  it("the test fleet's processes (test/support/fleet.ts) run as their role's user too", async () => {
    const shared = inject('redisUrl');
    const p = testPrefix('aclfleet');
    const gw = await startGateway(shared, p);
    const w = await startManagedWorker(shared, p, 'acl-fleet-w1');
    procs.push(gw, w);
    const plain = new Redis(shared);
    try {
      const list = (await plain.call('CLIENT', 'LIST')) as string;
      const users = (name: string) =>
        new Set(
          list
            .split('\n')
            .filter((l) => l.includes(`name=${name}`))
            .map((l) => /\buser=(\S+)/.exec(l)?.[1]),
        );
      expect(users('alto-gateway')).toContain(`${p}-gateway`);
      expect(users('alto-worker:acl-fleet-w1')).toEqual(new Set([`${p}-worker`]));
    } finally {
      plain.disconnect();
    }
  });

  it('rules are spelled per prefix and never name another installation', () => {
    for (const role of REDIS_ROLES) {
      for (const rule of aclRules(role, 'prod')) {
        if (/^(%R)?~/.test(rule) || rule.startsWith('&')) expect(rule, `${role}: ${rule}`).toMatch(/^(%R)?[~&]prod:/);
      }
    }
    expect(() => aclRules('worker', 'a*')).toThrow(/letters, digits/);
  });
});
