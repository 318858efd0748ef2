// Completion notices on one redis-server: two gateway processes, each hearing only its own
// (see test/support/notices-suite.ts; the cluster variant is test/cluster-notices.test.ts).
import { describe, inject } from 'vitest';
import { noticesSuite } from './support/notices-suite.ts';

describe('completion notices, two gateways', () => {
  noticesSuite('notices', () => inject('redisUrl'), {});
});
