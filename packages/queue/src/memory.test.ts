// Reading Redis's memory and naming a write refused for it: `INFO memory` parsed, an OOM reply
// told from other replies and answered as 503 `storage_full`, never `internal`.
// (test/redis-memory.test.ts holds the admission against a redis-server with a small maxmemory.)
import { AltoError, httpStatus } from '@alto/protocol';
import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { asAltoError } from './connection.ts';
import { isOutOfMemory, parseMemoryInfo } from './memory.ts';

const OOM = "OOM command not allowed when used memory > 'maxmemory'.";

describe('parseMemoryInfo', () => {
  it('reads used_memory and maxmemory, not the fields that share their prefix', () => {
    const info = [
      '# Memory',
      'used_memory:1234567',
      'used_memory_human:1.18M',
      'used_memory_rss:9999999',
      'maxmemory:4194304',
      'maxmemory_human:4.00M',
      'maxmemory_policy:noeviction',
    ].join('\r\n');
    expect(parseMemoryInfo(info)).toEqual({ usedBytes: 1234567, maxBytes: 4194304 });
  });

  it('reports maxBytes 0 for a Redis without maxmemory', () => {
    expect(parseMemoryInfo('used_memory:10\r\nmaxmemory:0\r\n').maxBytes).toBe(0);
  });
});

describe('isOutOfMemory', () => {
  it('counts the OOM reply, also when a script relays it, and no other reply', () => {
    expect(isOutOfMemory(new ReplyError(OOM))).toBe(true);
    expect(isOutOfMemory(new ReplyError(`ERR Error running script (call to f_1): @user_script:12: ${OOM}`))).toBe(true);
    expect(isOutOfMemory(new ReplyError('ERR unknown command'))).toBe(false);
    expect(isOutOfMemory(new Error(OOM))).toBe(false);
  });
});

describe('asAltoError', () => {
  it('answers an OOM reply with a retryable 503 storage_full', () => {
    const e = asAltoError(new ReplyError(OOM));
    expect(e).toBeInstanceOf(AltoError);
    expect((e as AltoError).code).toBe('storage_full');
    expect((e as AltoError).retryable).toBe(true);
    expect(httpStatus((e as AltoError).code)).toBe(503);
  });
});
