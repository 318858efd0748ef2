// Admin tokens, scopes, the failed-login limit and the audit log, end to end: a publisher with
// named tokens (two write, one read given as a digest) behind a gateway, a managed worker, and
// the `alto` CLI. Every state-changing action appears in the audit log once, with the token
// that made it, where it came from and what it changed.
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminRequest } from './support/admin.ts';
import { alto } from './support/cli.ts';
import { ROOT, startGateway, startManagedWorker, startPublisher, testPrefix, type Proc } from './support/fleet.ts';

const ALICE = 'alice-write-token-0123456789';
const BOB = 'bob-write-token-0123456789';
const READER = 'reader-read-token-0123456789';
const digest = (s: string) => createHash('sha256').update(s).digest('hex');

describe('admin tokens and the audit log', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('adminsec');
  const repo = mkdtempSync(join(tmpdir(), 'alto-adminsec-'));
  const base = join(repo, 'tiny');
  let publisher: Proc & { url: string };
  let gateway: Proc & { url: string };
  let worker: Proc;

  const via = (url: string, token: string | null) => (method: string, path: string, body?: unknown) =>
    adminRequest(url, method, path, body, token);

  beforeAll(async () => {
    mkdirSync(join(base, '1'), { recursive: true });
    cpSync(join(ROOT, 'models/tiny/1/model.onnx'), join(base, '1', 'model.onnx'));
    // A repository published at start: audited with ALTO_PUBLISH_ON_START as the actor.
    mkdirSync(join(repo, 'boot', 'booted'), { recursive: true });
    publisher = await startPublisher(redisUrl, prefix, {
      ALTO_ALLOWED_ROOTS: repo,
      ALTO_PUBLISH_ON_START: join(repo, 'boot'),
      ALTO_ADMIN_TOKENS: `alice:write:${ALICE},bob:write:${BOB},reader:read:sha256:${digest(READER)}`,
      ALTO_ADMIN_AUTH_FAILURES: '3',
    });
    gateway = await startGateway(redisUrl, prefix, { ALTO_PUBLISHER_URL: publisher.url });
    worker = await startManagedWorker(redisUrl, prefix, 'sec-w1', { ALTO_CACHE_DIR: join(repo, '.cache') });
  });
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill(), publisher?.kill()]);
    rmSync(repo, { recursive: true, force: true });
  });

  it('alto whoami names the acting token and its scope; ALTO_ADMIN_TOKEN still acts as default', async () => {
    for (const [token, line] of [
      [ALICE, "admin token 'alice' (write)"],
      [READER, "admin token 'reader' (read)"],
      ['test-admin-token-0123456789', "admin token 'default' (write)"],
    ] as const) {
      const r = await alto(['whoami'], { env: { ALTO_URL: gateway.url, ALTO_ADMIN_TOKEN: token } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${line} at ${gateway.url}\n`);
    }
  });

  it('a read token lists but is refused every change with 403 forbidden, and nothing is audited', async () => {
    const reader = via(gateway.url, READER);
    expect((await reader('GET', '/models')).status).toBe(200);
    const refused = await reader('POST', '/models', { name: 'tiny', uri: base });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({
      code: 'forbidden',
      message: "admin token 'reader' is read-only; POST /v1/admin/models needs a write token",
    });
    expect((await reader('GET', '/models/tiny')).status).toBe(404);
    // Only the publish at start is audited so far.
    const start = (await reader('GET', '/audit')).body;
    expect(start.events.map((e: any) => [e.action, e.target, e.actor, e.source])).toEqual([
      ['model.publish', 'booted', 'ALTO_PUBLISH_ON_START', 'publisher'],
    ]);
    expect(start.events[0].after).toMatchObject({ name: 'booted', uri: join(repo, 'boot', 'booted'), replicas: 1 });
  });

  it('audits every state-changing action once, with the token that made it, newest first', async () => {
    const alice = via(gateway.url, ALICE);
    const bob = via(gateway.url, BOB);
    expect((await alice('POST', '/models', { name: 'tiny', uri: base, replicas: 0 })).status).toBe(201);
    expect((await bob('PATCH', '/models/tiny', { replicas: 1 })).status).toBe(200);
    expect((await alice('POST', '/workers/sec-w1/drain')).status).toBe(200);
    expect((await bob('DELETE', '/workers/sec-w1/drain')).status).toBe(200);
    expect((await alice('POST', '/models/tiny/dead-letters/replay', {})).status).toBe(200);
    // Refused attempts change nothing and are not audited.
    expect((await alice('PATCH', '/models/nope', { replicas: 1 })).status).toBe(404);
    expect((await bob('DELETE', '/models/tiny')).status).toBe(200);

    const { status, body } = await via(gateway.url, READER)('GET', '/audit');
    expect(status).toBe(200);
    const seen = body.events.map((e: any) => [e.action, e.target, e.actor]);
    expect(seen).toEqual([
      ['model.unpublish', 'tiny', 'bob'],
      ['dead_letters.replay', 'tiny', 'alice'],
      ['worker.undrain', 'sec-w1', 'bob'],
      ['worker.drain', 'sec-w1', 'alice'],
      ['model.update', 'tiny', 'bob'],
      ['model.publish', 'tiny', 'alice'],
      ['model.publish', 'booted', 'ALTO_PUBLISH_ON_START'],
    ]);
    const [unpublish, replay, undrain, drain, update, publish] = body.events;
    expect(publish.before).toBeNull();
    expect(publish.after).toMatchObject({ name: 'tiny', uri: base, replicas: 0 });
    expect(update.before).toMatchObject({ replicas: 0 });
    expect(update.after).toMatchObject({ replicas: 1 });
    expect([drain.before, drain.after, undrain.before, undrain.after]).toEqual([
      { drained: false },
      { drained: true },
      { drained: true },
      { drained: false },
    ]);
    expect(replay.after).toEqual({ replayed: [] });
    expect(unpublish.before).toMatchObject({ name: 'tiny', replicas: 1 });
    expect(unpublish.after).toEqual({ failed_queued: 0 });
    for (const e of body.events.slice(0, -1)) {
      // Through the gateway: the client's address, as the gateway forwarded it.
      expect(e.source).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
      expect(Date.parse(e.at)).toBeGreaterThan(Date.now() - 120_000);
    }
    expect(body.next).toBeNull();
    // The same events in the publisher's log, one line each. A line reaches the log's pipe
    // after the answer to the request it audits, so it is waited for.
    const auditLines = () =>
      publisher
        .output()
        .split('\n')
        .filter((l) => l.includes('"audit":'))
        .map((l) => JSON.parse(l).audit);
    await expect.poll(() => auditLines().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(seen.length);
    const logged = auditLines();
    expect(logged.map((a: any) => [a.action, a.target, a.actor])).toEqual([...seen].reverse());
    expect(logged.map((a: any) => a.id)).toEqual(body.events.map((e: any) => e.id).reverse());

    // Pages: two at a time, following `next`.
    const page1 = await via(publisher.url, READER)('GET', '/audit?limit=2');
    expect(page1.body.events.map((e: any) => e.action)).toEqual(['model.unpublish', 'dead_letters.replay']);
    const page2 = await via(publisher.url, READER)('GET', `/audit?limit=2&before=${page1.body.next}`);
    expect(page2.body.events.map((e: any) => e.action)).toEqual(['worker.undrain', 'worker.drain']);
    const bad = await via(publisher.url, READER)('GET', '/audit?before=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^query 'before': expected a stream entry id/);

    // alto audit shows the same, as a table and as JSON.
    const env = { ALTO_URL: gateway.url, ALTO_ADMIN_TOKEN: READER };
    const table = await alto(['audit'], { env });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+WHEN\s+ACTOR\s+ACTION\s+TARGET\s+FROM\s+CHANGE/m);
    expect(table.stdout).toMatch(/^\d+-\d+\s+.*\s+bob\s+model\.unpublish\s+tiny\s/m);
    const json = await alto(['audit', '--json', '--limit', '7'], { env });
    expect(JSON.parse(json.stdout).events.map((e: any) => e.id)).toEqual(body.events.map((e: any) => e.id));
  });

  it('limits failed authentications per client address: refused even with a good token, other addresses not', async () => {
    // The test process is a trusted proxy (loopback): X-Forwarded-For names the client.
    const from = (address: string, token: string) =>
      fetch(`${publisher.url}/v1/admin/whoami`, {
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': address },
      });
    for (let i = 0; i < 3; i++) expect((await from('203.0.113.7', 'wrong-token-0123456789')).status).toBe(401);
    const blocked = await from('203.0.113.7', ALICE);
    expect(blocked.status).toBe(429);
    expect(((await blocked.json()) as any).error).toMatchObject({
      code: 'too_many_attempts',
      message: expect.stringMatching(/^too many failed admin authentications from 203\.0\.113\.7; try again in \d+ s$/),
    });
    const other = await from('203.0.113.8', ALICE);
    expect(other.status).toBe(200);
    expect(await other.json()).toEqual({ name: 'alice', scope: 'write' });
  });
});
