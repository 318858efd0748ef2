// Completion notices on the 3-master Redis Cluster: sharded pub/sub (SPUBLISH / SSUBSCRIBE)
// on the shard holding the model's slot, two gateway processes each hearing only its own
// (see test/support/notices-suite.ts).
import { describe, inject } from 'vitest';
import { noticesSuite } from './support/notices-suite.ts';

describe('completion notices on a Redis Cluster, two gateways', () => {
  noticesSuite('clusternotices', () => inject('clusterUrl'), { ALTO_REDIS_CLUSTER: 'true' });
});
