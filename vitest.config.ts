// Three projects. `unit`: the tests beside the code, which start no process and no Redis and
// run in parallel in seconds (`npm run test:unit`). `e2e`: test/**, against one real
// redis-server and real gateway, worker and publisher processes, one file at a time.
// `cluster`: test/cluster*.test.ts, the same processes against a local 3+3 Redis Cluster
// (`npm run test:cluster`). `npm test` runs them all, in that order.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts'],
          testTimeout: 10_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          exclude: ['test/cluster*.test.ts', '**/node_modules/**'],
          // Installs what a fresh machine lacks (redis-server, fake-gcs-server) once, then
          // starts one real redis-server for the whole run; each file isolates itself with
          // its own key prefix (see testPrefix).
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // End-to-end files start their own gateway and worker processes; on a 2-core
          // machine running them one at a time keeps timings sane.
          fileParallelism: false,
          pool: 'forks',
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'cluster',
          include: ['test/cluster*.test.ts'],
          // One Redis Cluster for the whole project (see cluster-setup.ts).
          globalSetup: ['test/support/cluster-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          pool: 'forks',
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
