// Start-up refusals an operator must be able to act on.
import { describe, expect, it } from 'vitest';
import { startRedis } from './support/redis-server.ts';
import { runApp, runAppAsync } from './support/run-app.ts';

describe('start-up configuration', () => {
  it('refuses an unknown ALTO_ variable, naming the closest valid one', () => {
    const r = runApp('gateway', { ALTO_MAX_BODY_BYTE: '10' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown variable ALTO_MAX_BODY_BYTE (did you mean ALTO_MAX_BODY_BYTES?)');
  });

  it('refuses an invalid value, naming the variable and the value', () => {
    const r = runApp('worker', { ALTO_EXECUTION_PROVIDER: 'gpu' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/ALTO_EXECUTION_PROVIDER: .*\(got 'gpu'\)/);
  });

  it('the launcher accepts gateway and worker variables but not typos of them', () => {
    const r = runApp('fleet', { ALTO_INTRA_OP_THREAD: '1' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('did you mean ALTO_INTRA_OP_THREADS?');
  });

  it('gateway and worker refuse a Redis that may evict keys, saying which setting to change', async () => {
    const lru = await startRedis(undefined, ['--maxmemory-policy', 'allkeys-lru']);
    try {
      const envs: Record<string, Record<string, string>> = {
        gateway: { REDIS_URL: lru.url, PORT: '0' },
        worker: { REDIS_URL: lru.url, ALTO_METRICS_PORT: '0' },
      };
      for (const app of ['gateway', 'worker']) {
        const r = await runAppAsync(app, envs[app]!);
        expect(r.status, app).toBe(1);
        expect(r.output, app).toContain("Redis has maxmemory-policy 'allkeys-lru'");
        expect(r.output, app).toContain("set it to 'noeviction'");
      }
    } finally {
      await lru.stop();
    }
  });
});
