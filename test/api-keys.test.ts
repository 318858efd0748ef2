// Managed API keys end to end: a publisher, two gateways (ALTO_MANAGED_API_KEYS) and a managed
// worker, every process as its own Redis ACL user. A key is created through the admin API,
// used on both gateways, listed with its last use, revoked and then refused by both within a
// second; its limits hold (requests per second under concurrency, queued predictions, allowed
// models); and nothing in Redis holds a secret.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@alto/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminRequest } from './support/admin.ts';
import { alto } from './support/cli.ts';
import {
  ADMIN_TOKEN,
  ROOT,
  startGateway,
  startManagedWorker,
  startPublisher,
  testPrefix,
  type Proc,
} from './support/fleet.ts';
import { getJson, postJson } from './support/http.ts';
import { waitFor } from './support/wait.ts';

const tinyBody = { input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.25) } } };
const READER = 'test-reader-token-0123456789';
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

describe('managed API keys', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('apikeys');
  const repo = mkdtempSync(join(tmpdir(), 'alto-keys-repo-'));
  let publisher: Proc & { url: string };
  let gateways: (Proc & { url: string })[];
  let worker: Proc;
  let redis: Redis;
  const secrets: string[] = [];

  const create = async (body: Record<string, unknown>) => {
    const r = await adminRequest(gateways[0]!.url, 'POST', '/keys', body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    secrets.push(r.body.secret);
    return r.body as { id: string; secret: string; name: string };
  };
  const predict = (gw: { url: string }, secret: string, model = 'tiny') =>
    postJson(`${gw.url}/v1/models/${model}/predictions`, tinyBody, bearer(secret));

  beforeAll(async () => {
    mkdirSync(join(repo, 'tiny', '1'), { recursive: true });
    cpSync(join(ROOT, 'models/tiny/1/model.onnx'), join(repo, 'tiny', '1', 'model.onnx'));
    publisher = await startPublisher(redisUrl, prefix, {
      ALTO_ALLOWED_ROOTS: repo,
      ALTO_ADMIN_TOKENS: `reader:read:${READER}`,
    });
    const env = { ALTO_PUBLISHER_URL: publisher.url, ALTO_MANAGED_API_KEYS: 'true', ALTO_LOG_LEVEL: 'info' };
    gateways = await Promise.all([startGateway(redisUrl, prefix, env), startGateway(redisUrl, prefix, env)]);
    worker = await startManagedWorker(redisUrl, prefix, 'keys-w1', { ALTO_CACHE_DIR: join(repo, '.cache') });
    for (const name of ['tiny', 'tiny2']) {
      const r = await adminRequest(publisher.url, 'POST', '/models', { name, uri: join(repo, 'tiny'), replicas: 1 });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    await waitFor(
      async () => {
        const ready = await Promise.all(
          ['tiny', 'tiny2'].flatMap((m) => gateways.map(async (g) => (await fetch(`${g.url}/v1/models/${m}`)).ok)),
        );
        return ready.every(Boolean);
      },
      { what: 'tiny and tiny2 served', timeoutMs: 60_000 },
    );
    redis = await connect(redisUrl, { name: 'test' });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([worker?.kill(), ...(gateways ?? []).map((g) => g.kill()), publisher?.kill()]);
    await redis?.quit();
    rmSync(repo, { recursive: true, force: true });
  });

  it('creates, uses, lists with last use, and revokes a key: both gateways refuse it within a second', async () => {
    const key = await create({ name: 'ci', owner: 'team-a' });
    expect(key.secret).toMatch(/^alto_[0-9a-f]{12}_/);
    for (const g of gateways) {
      const r = await predict(g, key.secret);
      expect(r.status, JSON.stringify(r.body)).toBe(202);
    }
    const ls = await adminRequest(gateways[1]!.url, 'GET', '/keys');
    const listed = ls.body.keys.find((k: { id: string }) => k.id === key.id);
    expect(listed).toMatchObject({ name: 'ci', owner: 'team-a', revoked_at: null, models: null });
    expect(Date.parse(listed.last_used)).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.stringify(ls.body)).not.toContain(key.secret);
    // Listing needs a read token, creating and revoking a write token.
    const noToken = await adminRequest(gateways[0]!.url, 'POST', '/keys', { name: 'x', owner: 'y' }, null);
    expect(noToken.status).toBe(401);
    expect((await adminRequest(gateways[0]!.url, 'GET', '/keys', undefined, READER)).status).toBe(200);
    const readOnly = await adminRequest(gateways[0]!.url, 'POST', '/keys', { name: 'x', owner: 'y' }, READER);
    expect(readOnly.status).toBe(403);
    expect(readOnly.body.error.code).toBe('forbidden');
    expect((await adminRequest(gateways[0]!.url, 'DELETE', `/keys/${key.id}`, undefined, READER)).status).toBe(403);

    // Both gateways hold the key's record now; revocation must reach them anyway.
    for (const g of gateways) expect((await getJson(`${g.url}/v1/predictions`, bearer(key.secret))).status).toBe(200);
    const revoked = await adminRequest(gateways[0]!.url, 'DELETE', `/keys/${key.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();
    const at = Date.now();
    const refusedAfter = await Promise.all(
      gateways.map((g) =>
        waitFor(
          async () => {
            const r = await getJson(`${g.url}/v1/predictions`, bearer(key.secret));
            return r.status === 401 ? Date.now() - at : undefined;
          },
          { what: 'the revoked key refused', timeoutMs: 5_000, intervalMs: 10 },
        ),
      ),
    );
    for (const ms of refusedAfter) expect(ms).toBeLessThanOrEqual(1000);
    console.log(`revoked key refused after ${refusedAfter.join(' and ')} ms`);
    const refused = await predict(gateways[1]!, key.secret);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthorized');
    const audit = await adminRequest(gateways[0]!.url, 'GET', '/audit');
    const actions = audit.body.events.filter((e: { target: string }) => e.target === key.id).map((e: any) => e.action);
    expect(actions).toEqual(['key.revoke', 'key.create']);
  });

  it('holds the rate under concurrency: 1,000 requests at 10x the rate, the rest 429 rate_limited with Retry-After', async () => {
    const rate = 20;
    const burst = 5;
    const key = await create({ name: 'rated', owner: 'team-b', rate, burst });
    const started = Date.now();
    const replies: Promise<{ status: number; headers: Headers; body: any }>[] = [];
    // 1,000 requests spread over 5 s (200 per second, 10x the rate), alternating gateways.
    for (let i = 0; i < 1000; i++) {
      const due = started + i * 5;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      replies.push(predict(gateways[i % 2]!, key.secret));
    }
    const done = await Promise.all(replies);
    const seconds = (Date.now() - started) / 1000;
    const accepted = done.filter((r) => r.status === 202).length;
    const limited = done.filter((r) => r.status === 429);
    expect(
      accepted + limited.length,
      JSON.stringify(done.find((r) => r.status !== 202 && r.status !== 429)?.body),
    ).toBe(1000);
    expect(accepted).toBeLessThanOrEqual(Math.floor(rate * seconds + burst));
    // The bucket is not starved either: most of what the rate allows gets through.
    expect(accepted).toBeGreaterThanOrEqual(Math.floor(rate * 5 * 0.8));
    for (const r of limited) {
      expect(r.body.error.code).toBe('rate_limited');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    const metrics = await (await fetch(`${gateways[0]!.url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`alto_gateway_key_predictions_total\\{key="${key.id}",model="tiny",outcome="accepted"\\} \\d+`),
    );
    expect(metrics).toMatch(
      new RegExp(`alto_gateway_key_predictions_total\\{key="${key.id}",model="tiny",outcome="rate_limited"\\} \\d+`),
    );
    console.log(`rate ${rate}/s burst ${burst}: ${accepted} of 1000 accepted in ${seconds.toFixed(2)} s`);
  }, 60_000);

  it('holds the queued limit: past max_queued, 429 quota_exceeded until one finishes', async () => {
    const key = await create({ name: 'queued', owner: 'team-c', max_queued: 2 });
    worker.child.kill('SIGSTOP');
    let resumed = false;
    try {
      const first = await Promise.all([predict(gateways[0]!, key.secret), predict(gateways[1]!, key.secret)]);
      expect(first.map((r) => r.status)).toEqual([202, 202]);
      const over = await predict(gateways[1]!, key.secret);
      expect(over.status).toBe(429);
      expect(over.body.error.code).toBe('quota_exceeded');
      expect(over.headers.get('retry-after')).toBe('1');
      worker.child.kill('SIGCONT');
      resumed = true;
      await waitFor(
        async () => {
          const r = await getJson(`${gateways[0]!.url}/v1/predictions?status=succeeded`, bearer(key.secret));
          return r.body.predictions.length === 2;
        },
        { what: 'both predictions done', timeoutMs: 30_000 },
      );
      const again = await predict(gateways[0]!, key.secret);
      expect(again.status, JSON.stringify(again.body)).toBe(202);
    } finally {
      if (!resumed) worker.child.kill('SIGCONT');
    }
  }, 60_000);

  it('a key limited to one model gets 404 model_not_found on another, which an unlimited key may use', async () => {
    const limited = await create({ name: 'one-model', owner: 'team-d', models: ['tiny'] });
    const open = await create({ name: 'all-models', owner: 'team-d' });
    expect((await predict(gateways[0]!, limited.secret, 'tiny')).status).toBe(202);
    const other = await predict(gateways[1]!, limited.secret, 'tiny2');
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('model_not_found');
    expect(other.body.error.message).toContain("'tiny2'");
    expect((await predict(gateways[1]!, open.secret, 'tiny2')).status).toBe(202);
  });

  it('refuses a malformed key request naming the field', async () => {
    const r = await adminRequest(gateways[0]!.url, 'POST', '/keys', { name: 'x', owner: 'y', rate: -1 });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('rate');
  });

  it('alto keys create, ls and revoke', async () => {
    const env = { ALTO_URL: gateways[0]!.url, ALTO_ADMIN_TOKEN: ADMIN_TOKEN };
    const made = await alto(['keys', 'create', 'cli-key', '--owner', 'team-e', '--rate', '5', '--max-queued', '3'], {
      env,
    });
    expect(made.code, made.stderr).toBe(0);
    const [, id, secret] = /^([0-9a-f]{12}) \(cli-key\) created; its secret, shown this once only:\n(\S+)\n$/.exec(
      made.stdout,
    )!;
    secrets.push(secret!);
    expect((await predict(gateways[1]!, secret!)).status).toBe(202);
    const ls = await alto(['keys', 'ls'], { env });
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(
      /^ID\s+NAME\s+OWNER\s+CREATED\s+LAST USED\s+MODELS\s+LIMITS\s+PREDICTIONS\s+COMPUTE\s+STATE/m,
    );
    expect(ls.stdout).toMatch(
      new RegExp(`^${id}\\s+cli-key\\s+team-e\\s+.+\\s+all\\s+5/s, 3 queued\\s+\\d+\\s+[\\d.]+s\\s+active`, 'm'),
    );
    expect(ls.stdout).not.toContain(secret);
    const revoked = await alto(['keys', 'revoke', id!], { env });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await alto(['keys', 'ls', '--json'], { env })).stdout).toContain('"revoked_at": "');
    const bad = await alto(['keys', 'create', 'x'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--owner');
  });

  it('holds no secret anywhere in Redis', async () => {
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    const dump: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      for (const k of found) {
        const type = await redis.type(k);
        dump.push(k);
        if (type === 'string') dump.push((await redis.get(k)) ?? '');
        else if (type === 'hash') dump.push(...Object.entries(await redis.hgetall(k)).flat());
        else if (type === 'zset') dump.push(...(await redis.zrange(k, 0, -1)));
        else if (type === 'set') dump.push(...(await redis.smembers(k)));
        else if (type === 'list') dump.push(...(await redis.lrange(k, 0, -1)));
        else if (type === 'stream') dump.push(...(await redis.xrange(k, '-', '+')).flatMap(([id, f]) => [id, ...f]));
      }
    } while (cursor !== '0');
    const text = dump.join('\n');
    expect(text).toContain(`${prefix}:{control}:api-keys`);
    for (const s of secrets) {
      expect(text).not.toContain(s);
      // Nor the random part alone.
      expect(text).not.toContain(s.split('_').slice(2).join('_'));
    }
  });
});
