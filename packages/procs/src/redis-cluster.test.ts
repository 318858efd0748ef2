// Which node serves a slot, read from CLUSTER NODES as a node answers it after a failover.
import { describe, expect, it } from 'vitest';
import { masterPortOf } from './redis-cluster.ts';

const NODES = [
  'a1 127.0.0.1:7000@17000 master,fail - 1 2 1 connected',
  'b2 127.0.0.1:7001@17001 myself,master - 0 0 2 connected 5461-10922',
  'c3 127.0.0.1:7002@17002 master - 0 3 3 connected 10923-16383',
  'd4 127.0.0.1:7003@17003 master - 0 4 7 connected 0-5460',
  'e5 127.0.0.1:7004@17004 slave b2 0 5 2 connected',
].join('\n');

describe('masterPortOf', () => {
  it('finds the live master of a slot, at either end of its range, and skips failed masters', () => {
    expect(masterPortOf(NODES, 0)).toBe(7003);
    expect(masterPortOf(NODES, 5460)).toBe(7003);
    expect(masterPortOf(NODES, 5461)).toBe(7001);
    expect(masterPortOf(NODES, 16383)).toBe(7002);
  });

  it('answers undefined for a slot no live master serves', () => {
    expect(masterPortOf(NODES.split('\n').slice(0, 3).join('\n'), 42)).toBeUndefined();
  });

  it('reads single-slot entries', () => {
    expect(masterPortOf('f6 127.0.0.1:7005@17005 master - 0 0 1 connected 100 200-300', 100)).toBe(7005);
  });
});
