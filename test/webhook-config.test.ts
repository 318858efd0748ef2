// Start-up refusals of the webhook settings: exit status 2 and a message naming the variable,
// never quoting a secret.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/fleet.ts';

const run = (app: string, env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', `apps/${app}/src/main.ts`], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });

describe('webhook configuration', () => {
  const almost = 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0';

  it('the dispatcher refuses a malformed secret without printing it', () => {
    for (const secret of [almost, `whsec_${almost}!`, 'whsec_c2hvcnQ=']) {
      const r = run('dispatcher', { ALTO_WEBHOOK_SECRET: secret });
      expect(r.status, secret).toBe(2);
      expect(r.stderr).toMatch(
        /^alto dispatcher: invalid configuration:\n {2}- ALTO_WEBHOOK_SECRET: .*expected 'whsec_' followed by the base64 of 24 to 64 random bytes/,
      );
      expect(r.stderr).not.toContain(almost);
      expect(r.stderr).not.toContain('c2hvcnQ=');
    }
  });

  it('the dispatcher requires a secret', () => {
    const r = run('dispatcher', {});
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ALTO_WEBHOOK_SECRET: required');
  });

  it('npm start refuses a malformed secret before starting anything', () => {
    const r = run('fleet', { ALTO_WEBHOOK_SECRET: 'not-a-secret' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /alto fleet: invalid configuration:\n {2}- ALTO_WEBHOOK_SECRET: the secret does not start with 'whsec_'/,
    );
  });

  it('refuses a malformed retry schedule and allow list, naming the variable', () => {
    const schedule = run('dispatcher', {
      ALTO_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      ALTO_WEBHOOK_RETRY_SCHEDULE: '0,5,5m',
    });
    expect(schedule.status).toBe(2);
    expect(schedule.stderr).toMatch(
      /ALTO_WEBHOOK_RETRY_SCHEDULE: '5' is not a duration \(e\.g\. 0, 250ms, 5s, 5m, 2h\) \(got '0,5,5m'\)/,
    );
    const cidrs = run('gateway', { ALTO_WEBHOOK_ALLOW_CIDRS: '10.0.0.0/40' });
    expect(cidrs.status).toBe(2);
    expect(cidrs.stderr).toMatch(/ALTO_WEBHOOK_ALLOW_CIDRS: '10\.0\.0\.0\/40': the prefix length must be 0\.\.32/);
  });
});
