// Telling "Redis is not there right now" from a bug, by the error's type: replies by which
// Redis says it cannot serve yet, aborted commands, socket errors, a connection not ready.
// (test/queue.test.ts holds the same against a redis-server that goes away.)
import { AltoError } from '@alto/protocol';
import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { asAltoError, isRedirect, isRedisUnavailable, redactUrl, splitSeeds } from './connection.ts';

class AbortError extends Error {
  override get name() {
    return 'AbortError';
  }
}

describe('isRedisUnavailable', () => {
  it('counts replies by which Redis cannot serve yet, and no other reply', () => {
    expect(isRedisUnavailable(new ReplyError('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isRedisUnavailable(new ReplyError('MASTERDOWN Link with MASTER is down'))).toBe(true);
    expect(
      isRedisUnavailable(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value')),
    ).toBe(false);
    expect(isRedisUnavailable(new ReplyError('ERR Error running script: LOADING in a message'))).toBe(false);
  });

  it('counts aborted commands and socket errors by type, not by their words', () => {
    expect(isRedisUnavailable(new AbortError('Command aborted due to connection close'))).toBe(true);
    expect(
      isRedisUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    expect(isRedisUnavailable(new Error('model m: ECONNREFUSED while loading'))).toBe(false);
  });

  it('counts any failure on a connection that is not ready', () => {
    expect(isRedisUnavailable(new Error('whatever'), { status: 'reconnecting' })).toBe(true);
    expect(isRedisUnavailable(new Error('whatever'), { status: 'ready' })).toBe(false);
  });

  it('keeps AltoErrors as they are, and rewrites an outage as redis_unavailable', () => {
    expect(isRedisUnavailable(new AltoError('redis_unavailable', 'down', true))).toBe(true);
    expect(isRedisUnavailable(new AltoError('queue_full', 'full', true))).toBe(false);
    expect(asAltoError(new Error('Command timed out'))).toMatchObject({ code: 'redis_unavailable' });
    const bug = new Error('prediction m.1 already exists');
    expect(asAltoError(bug)).toBe(bug);
  });
});

describe('Redis Cluster', () => {
  it('counts a redirect of a moved slot as unavailable (the command did not run), and knows it as a redirect', () => {
    const moved = new ReplyError('MOVED 2789 127.0.0.1:46689');
    expect(isRedisUnavailable(moved)).toBe(true);
    expect(isRedirect(moved)).toBe(true);
    expect(isRedirect(new ReplyError('ASK 2789 127.0.0.1:46689'))).toBe(true);
    expect(isRedirect(new ReplyError('ERR MOVED is a word here'))).toBe(false);
    expect(isRedirect(new Error('MOVED 1 a:1'))).toBe(false);
  });

  it("splits REDIS_URL into seeds; host:port seeds take the first URL's scheme and credentials", () => {
    expect(splitSeeds('redis://127.0.0.1:6379')).toEqual(['redis://127.0.0.1:6379']);
    expect(splitSeeds('rediss://u:p@a:7000, b:7001,redis://c:7002')).toEqual([
      'rediss://u:p@a:7000',
      'rediss://u:p@b:7001',
      'redis://c:7002',
    ]);
  });

  it('redacts the password of every seed', () => {
    expect(redactUrl('redis://u:secret@a:7000,b:7001')).toBe('redis://u:***@a:7000,redis://u:***@b:7001');
  });
});
