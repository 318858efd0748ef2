import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Every test file gets the URL of one real redis-server, started once per run.
    globalSetup: ['test/support/global-setup.ts'],
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // End-to-end files start their own gateway and worker processes; on a 2-core machine
    // running them one at a time keeps timings sane.
    fileParallelism: false,
    pool: 'forks',
  },
});
