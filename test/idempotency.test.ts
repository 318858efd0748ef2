// Idempotency-Key on POST predictions, through real gateway and worker processes: a retry
// gets the first prediction back and queues nothing, a different request under the same key
// is refused, keys are per caller, and concurrent identical requests create one prediction.
import { createHash } from 'node:crypto';
import type { ModelInfo } from '@alto/protocol';
import { connect, keys } from '@alto/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { startTestGateway } from './support/gateway.ts';
import { getJson, postJson } from './support/http.ts';
import { tiny } from './support/models.ts';
import { waitFor } from './support/wait.ts';

const KEY_A = 'alto-test-key-aaaaaaaaaaaaaaaa';
const KEY_B = 'alto-test-key-bbbbbbbbbbbbbbbb';
const body = (v: number) => ({ input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(v) } } });

describe('Idempotency-Key', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('idempotency');
  let worker: Proc;
  let gateway: Proc & { url: string };
  let redis: Redis;

  beforeAll(async () => {
    redis = await connect(redisUrl, { name: 'test' });
    worker = await startWorker(redisUrl, prefix, { ALTO_MODELS: 'tiny' });
    gateway = await startGateway(redisUrl, prefix, { ALTO_API_KEYS: `${KEY_A},${KEY_B}` });
  });
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill()]);
    await redis?.quit();
  });

  const submit = (b: unknown, idem: string | undefined, key = KEY_A) =>
    postJson(`${gateway.url}/v1/models/tiny/predictions`, b, {
      authorization: `Bearer ${key}`,
      ...(idem === undefined ? {} : { 'idempotency-key': idem }),
    });
  /** Prediction hashes of tiny under this prefix: what was really created. */
  const created = async () => (await redis.keys(`${prefix}:{tiny}:p:*`)).length;
  const done = (id: string) =>
    waitFor(
      async () => {
        const r = await getJson(`${gateway.url}/v1/predictions/${id}`, { authorization: `Bearer ${KEY_A}` });
        return r.body.status === 'succeeded' ? r : undefined;
      },
      { what: `prediction ${id}` },
    );

  it('a retry returns the first prediction, marked Idempotent-Replayed, and queues nothing', async () => {
    const before = await created();
    const first = await submit(body(0.1), 'retry-1');
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await submit(body(0.1), 'retry-1');
    expect([200, 202]).toContain(again.status);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(`/v1/predictions/${first.body.id}`);
    expect(await created()).toBe(before + 1);
    // Once it has finished, a retry answers 200 with the result, as its status says.
    await done(first.body.id);
    const late = await submit(body(0.1), 'retry-1');
    expect(late.status).toBe(200);
    expect(late.body.status).toBe('succeeded');
    expect(late.body.output.y.shape).toEqual([1, 10]);
    expect(await created()).toBe(before + 1);
  });

  it('a retry with Prefer: wait waits for the first prediction and answers 200 with its result', async () => {
    // The worker is paused, so the first prediction is still queued when the retry arrives.
    worker.child.kill('SIGSTOP');
    try {
      const first = await submit(body(0.15), 'wait-1');
      const again = postJson(`${gateway.url}/v1/models/tiny/predictions`, body(0.15), {
        authorization: `Bearer ${KEY_A}`,
        'idempotency-key': 'wait-1',
        prefer: 'wait=40',
      });
      await waitFor(
        async () => /alto_gateway_waiting_requests 1\b/.test(await (await fetch(`${gateway.url}/metrics`)).text()),
        {
          what: 'the retry to be held',
        },
      );
      worker.child.kill('SIGCONT');
      const resumed = Date.now();
      const r = await again;
      // Answered on the first prediction's completion, not when the 40 s wait ran out.
      expect(Date.now() - resumed).toBeLessThan(15_000);
      expect(r.status).toBe(200);
      expect(r.body.id).toBe(first.body.id);
      expect(r.body.status).toBe('succeeded');
      expect(r.headers.get('idempotent-replayed')).toBe('true');
    } finally {
      worker.child.kill('SIGCONT');
    }
  });

  it('remembers the key for 24 hours, under the model and the caller', async () => {
    await submit(body(0.2), 'ttl-1');
    const hash = createHash('sha256').update('ttl-1').digest('hex');
    const owner = createHash('sha256').update(KEY_A).digest('hex').slice(0, 16);
    const ttl = await redis.pttl(`${prefix}:{tiny}:idem:${owner}:${hash}`);
    expect(ttl).toBeGreaterThan(86_400_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(86_400_000);
  });

  it('the same key with a different body is 422 idempotency_key_reused', async () => {
    const first = await submit(body(0.3), 'reuse-1');
    expect(first.status).toBe(202);
    const before = await created();
    const other = await submit(body(0.31), 'reuse-1');
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect(other.body.error.message).toMatch(/header 'Idempotency-Key': this key was used for a different request/);
    // The same JSON spelled differently is a different body: the bytes are compared.
    const spaced = await postJson(`${gateway.url}/v1/models/tiny/predictions`, ` ${JSON.stringify(body(0.3))}`, {
      authorization: `Bearer ${KEY_A}`,
      'idempotency-key': 'reuse-1',
    });
    expect(spaced.status).toBe(422);
    expect(await created()).toBe(before);
  });

  it('keys are per API key: another caller with the same key gets a prediction of its own', async () => {
    const a = await submit(body(0.4), 'shared-1', KEY_A);
    const b = await submit(body(0.4), 'shared-1', KEY_B);
    expect(b.status).toBe(202);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(b.body.id).not.toBe(a.body.id);
  });

  it('concurrent identical requests create exactly one prediction', async () => {
    const before = await created();
    const replies = await Promise.all(Array.from({ length: 24 }, () => submit(body(0.5), 'race-1')));
    for (const r of replies) expect([200, 202]).toContain(r.status);
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(replies.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    expect(await created()).toBe(before + 1);
  });

  it('refuses a malformed key with 400 naming the header, before anything is queued', async () => {
    const before = await created();
    for (const [idem, got] of [
      ['', 'an empty value'],
      ['k'.repeat(256), '256 characters'],
      ['caf\u00e9', 'a non-printable character'],
    ] as const) {
      const r = await submit(body(0.6), idem);
      expect(r.status, idem).toBe(400);
      expect(r.body.error.code).toBe('invalid_input');
      expect(r.body.error.message).toBe(
        `header 'Idempotency-Key': expected 1 to 255 printable ASCII characters, got ${got}`,
      );
    }
    const longest = await submit(body(0.6), 'k'.repeat(255));
    expect(longest.status).toBe(202);
    expect(await created()).toBe(before + 1);
  });

  it('without API keys, the same anonymous caller gets its prediction back', async () => {
    const open = await startGateway(redisUrl, prefix);
    try {
      const post = () => postJson(`${open.url}/v1/models/tiny/predictions`, body(0.7), { 'idempotency-key': 'anon-1' });
      const first = await post();
      const again = await post();
      expect(first.status).toBe(202);
      expect(again.body.id).toBe(first.body.id);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    } finally {
      await open.kill();
    }
  });

  it('the same key on the versioned route is a different request (422); on another model a key of its own', async () => {
    const own = testPrefix('idemversions');
    const other: ModelInfo = { ...tiny, name: 'other' };
    const g = await startTestGateway(redisUrl, own, [tiny, other]);
    try {
      await g.redis.hset(keys(own).modelVersions, 'tiny@1', JSON.stringify(tiny));
      const post = (path: string) => postJson(`${g.base}${path}`, body(0.8), { 'idempotency-key': 'route-1' });
      const first = await post('/v1/models/tiny/predictions');
      expect(first.status).toBe(202);
      const pinned = await post('/v1/models/tiny/versions/1/predictions');
      expect(pinned.status).toBe(422);
      expect(pinned.body.error.code).toBe('idempotency_key_reused');
      // Keys are remembered per model: another model's request is not a retry of this one.
      const elsewhere = await post('/v1/models/other/predictions');
      expect(elsewhere.status).toBe(202);
      expect(elsewhere.body.id).not.toBe(first.body.id);
    } finally {
      await g.close();
    }
  });
});
