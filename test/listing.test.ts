// GET /v1/predictions through real gateway and worker processes: each caller sees only its
// own predictions, newest first, a page at a time, filtered by model and status; bad query
// parameters are 400s naming the parameter.
import { createHash } from 'node:crypto';
import { connect } from '@alto/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { getJson, postJson } from './support/http.ts';
import { waitFor } from './support/wait.ts';

const KEY_A = 'alto-test-key-aaaaaaaaaaaaaaaa';
const KEY_B = 'alto-test-key-bbbbbbbbbbbbbbbb';
const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const body = (v: number) => ({ input: { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(v) } } });
const owner = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 16);

describe('listing predictions', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('listing');
  let worker: Proc;
  let gateway: Proc & { url: string };
  let redis: Redis;
  let mine: string[] = [];
  let theirs: string[] = [];
  /** Newest first, as the listing promises: by created_at, then (the same millisecond) by id, both descending. */
  const newestFirst = (created: { id: string; created_at: string }[]) =>
    [...created].sort((x, y) => y.created_at.localeCompare(x.created_at) || y.id.localeCompare(x.id)).map((p) => p.id);

  const list = (key: string, query = '') => getJson(`${gateway.url}/v1/predictions${query}`, auth(key));

  beforeAll(async () => {
    redis = await connect(redisUrl, { name: 'test' });
    worker = await startWorker(redisUrl, prefix, { ALTO_MODELS: 'tiny' });
    gateway = await startGateway(redisUrl, prefix, { ALTO_API_KEYS: `${KEY_A},${KEY_B}` });
    const a = [];
    const b = [];
    for (let i = 0; i < 5; i++) {
      const r = await postJson(`${gateway.url}/v1/models/tiny/predictions`, body(i), auth(KEY_A));
      expect(r.status).toBe(202);
      a.push(r.body);
      if (i < 2) b.push((await postJson(`${gateway.url}/v1/models/tiny/predictions`, body(i), auth(KEY_B))).body);
    }
    // Kept newest first from here on.
    mine = newestFirst(a);
    theirs = newestFirst(b);
    await waitFor(
      async () => {
        const r = await list(KEY_A, '?status=succeeded');
        return r.body.predictions.length === 5;
      },
      { what: 'all five succeeded' },
    );
  });
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill()]);
    await redis?.quit();
  });

  it("lists only the caller's predictions, newest first, as prediction objects", async () => {
    const a = await list(KEY_A);
    expect(a.status).toBe(200);
    expect(a.body.predictions.map((p: any) => p.id)).toEqual(mine);
    expect(a.body.next_cursor).toBeNull();
    expect(a.body.predictions[0].output.y.shape).toEqual([1, 10]);
    const b = await list(KEY_B);
    expect(b.body.predictions.map((p: any) => p.id)).toEqual(theirs);
  });

  it('pages with limit and cursor, every prediction once, next_cursor null on the last page', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const r: Awaited<ReturnType<typeof list>> = await list(
        KEY_A,
        `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(r.status).toBe(200);
      sizes.push(r.body.predictions.length);
      seen.push(...r.body.predictions.map((p: any) => p.id));
      cursor = r.body.next_cursor;
    } while (cursor !== null);
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(mine);
    // A full last page says there is nothing more.
    const exact = await list(KEY_A, '?limit=5');
    expect(exact.body.predictions).toHaveLength(5);
    expect(exact.body.next_cursor).toBeNull();
  });

  it('filters by model and status', async () => {
    expect((await list(KEY_A, '?model=tiny&status=succeeded')).body.predictions).toHaveLength(5);
    expect((await list(KEY_A, '?status=queued')).body.predictions).toEqual([]);
    expect((await list(KEY_A, '?model=textdir')).body.predictions).toEqual([]);
    const page = await list(KEY_A, '?status=succeeded&limit=3');
    expect(page.body.predictions.map((p: any) => p.id)).toEqual(mine.slice(0, 3));
    const rest = await list(KEY_A, `?status=succeeded&limit=3&cursor=${page.body.next_cursor}`);
    expect(rest.body.predictions.map((p: any) => p.id)).toEqual(mine.slice(3));
  });

  it("another key's prediction id is not a cursor of this listing", async () => {
    const r = await list(KEY_B, `?cursor=${mine[0]}`);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/^query parameter 'cursor': /);
  });

  it('refuses bad query parameters with 400 naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['?limit=0', /^query parameter 'limit': expected an integer from 1 to 100, got '0'$/],
      ['?limit=101', /^query parameter 'limit': expected an integer from 1 to 100, got '101'$/],
      ['?limit=1.5', /^query parameter 'limit': .* got '1\.5'$/],
      ['?limit=ten', /^query parameter 'limit': .* got 'ten'$/],
      [
        '?status=done',
        /^query parameter 'status': expected one of queued, running, succeeded, failed, canceled, expired, got 'done'$/,
      ],
      ['?cursor=nope', /^query parameter 'cursor': 'nope' is not a cursor of this listing/],
      ['?model=', /^query parameter 'model': /],
      ['?colour=red', /^query parameter 'colour': unknown; expected one of model, status, limit, cursor$/],
    ];
    for (const [query, message] of cases) {
      const r = await list(KEY_A, query);
      expect(r.status, query).toBe(400);
      expect(r.body.error.code, query).toBe('invalid_input');
      expect(r.body.error.message, query).toMatch(message);
    }
    expect((await list(KEY_A, '?limit=100')).status).toBe(200);
    expect((await list(KEY_A, '?limit=1')).body.predictions).toHaveLength(1);
  });

  it('skips and forgets predictions past retention; keeps the index within the retention window', async () => {
    const index = `${prefix}:{owner:${owner(KEY_B)}}:predictions`;
    expect(await redis.zcard(index)).toBe(2);
    await redis.del(`${prefix}:{tiny}:p:${theirs[1]}`);
    const r = await list(KEY_B);
    expect(r.body.predictions.map((p: any) => p.id)).toEqual([theirs[0]]);
    expect(await redis.zscore(index, theirs[1]!)).toBeNull();
    // An id older than the retention window (24 h) is dropped when the next one is added.
    await redis.zadd(index, Date.now() - 86_400_000 - 1000, 'tiny.01m83xqsfwmba2gkx4nf4d8kb9');
    await postJson(`${gateway.url}/v1/models/tiny/predictions`, body(9), auth(KEY_B));
    expect(await redis.zscore(index, 'tiny.01m83xqsfwmba2gkx4nf4d8kb9')).toBeNull();
    expect(await redis.pttl(index)).toBeGreaterThan(86_400_000 - 60_000);
  });
});
