// The shared fields: REDIS_URL (one URL, or a Redis Cluster's seeds) and ALTO_REDIS_CLUSTER.
import { describe, expect, it } from 'vitest';
import { redisCluster, redisUrl } from './fields.ts';

describe('REDIS_URL', () => {
  it('takes one redis:// or rediss:// URL, or a comma-separated list of seeds', () => {
    for (const ok of [
      'redis://127.0.0.1:6379',
      'rediss://u:p@h:6380',
      'redis://a:7000,b:7001',
      'redis://a:7000, redis://b:7001',
    ]) {
      expect(redisUrl.safeParse(ok).success, ok).toBe(true);
    }
    expect(redisUrl.parse(undefined)).toBe('redis://127.0.0.1:6379');
  });

  it('refuses another scheme, a bare host first, and a malformed seed', () => {
    for (const bad of ['http://a:1', 'a:7000,b:7001', 'redis://a:7000,b', 'redis://a:7000,,b:7001']) {
      expect(redisUrl.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe('ALTO_REDIS_CLUSTER', () => {
  it('is true for true or 1, false by default, and refuses anything else', () => {
    expect(redisCluster.parse('true')).toBe(true);
    expect(redisCluster.parse('1')).toBe(true);
    expect(redisCluster.parse(undefined)).toBe(false);
    expect(redisCluster.safeParse('yes').success).toBe(false);
  });
});
