// Start-up refusals of the webhook settings: exit status 2 and a message naming the variable,
// never quoting a secret.
import { describe, expect, it } from 'vitest';
import { runApp } from './support/run-app.ts';

describe('webhook configuration', () => {
  const almost = 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0';

  it('the dispatcher refuses a malformed secret without printing it', () => {
    for (const secret of [almost, `whsec_${almost}!`, 'whsec_c2hvcnQ=']) {
      const r = runApp('dispatcher', { ALTO_WEBHOOK_SECRET: secret });
      expect(r.status, secret).toBe(2);
      expect(r.stderr).toMatch(/^alto dispatcher: invalid configuration:\n {2}- ALTO_WEBHOOK_SECRET: /);
      expect(r.stderr).toMatch(
        /ALTO_WEBHOOK_SECRET: .*expected 'whsec_' followed by the base64 of 24 to 64 random bytes/,
      );
      expect(r.stderr).not.toContain(almost);
      expect(r.stderr).not.toContain('c2hvcnQ=');
    }
  });

  it('the dispatcher requires a secret', () => {
    const r = runApp('dispatcher', {});
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ALTO_WEBHOOK_SECRET: required');
  });

  it('npm start refuses a malformed secret before starting anything', () => {
    const r = runApp('fleet', { ALTO_WEBHOOK_SECRET: 'not-a-secret' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /alto fleet: invalid configuration:\n {2}- ALTO_WEBHOOK_SECRET: the secret does not start with 'whsec_'/,
    );
  });

  it('refuses a malformed retry schedule and allow list, naming the variable', () => {
    const schedule = runApp('dispatcher', {
      ALTO_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      ALTO_WEBHOOK_RETRY_SCHEDULE: '0,5,5m',
    });
    expect(schedule.status).toBe(2);
    expect(schedule.stderr).toMatch(
      /ALTO_WEBHOOK_RETRY_SCHEDULE: '5' is not a duration \(e\.g\. 0, 250ms, 5s, 5m, 2h\) \(got '0,5,5m'\)/,
    );
    const cidrs = runApp('gateway', { ALTO_WEBHOOK_ALLOW_CIDRS: '10.0.0.0/40' });
    expect(cidrs.status).toBe(2);
    expect(cidrs.stderr).toMatch(/ALTO_WEBHOOK_ALLOW_CIDRS: '10\.0\.0\.0\/40': the prefix length must be 0\.\.32/);
  });
});
