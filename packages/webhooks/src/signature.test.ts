import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSecret, parseSecrets, sign } from './signature.ts';

const headers = (id: string, ts: number, signature: string) => ({
  'webhook-id': id,
  'webhook-timestamp': String(ts),
  'webhook-signature': signature,
});

describe('Standard Webhooks signatures', () => {
  const secret = generateSecret();
  const body = JSON.stringify({
    type: 'prediction.completed',
    timestamp: '2026-11-23T10:14:11.592Z',
    data: { id: 'tiny.x' },
  });
  const now = Math.floor(Date.now() / 1000);

  it('verify with the standardwebhooks package', () => {
    const signature = sign(parseSecrets(secret), 'tiny.01m83yc7vx5b9f403wkqdbx6nv.completed', now, body);
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(
      new Webhook(secret).verify(body, headers('tiny.01m83yc7vx5b9f403wkqdbx6nv.completed', now, signature)),
    ).toEqual(JSON.parse(body));
    // And equal what the package itself computes.
    expect(signature).toBe(
      new Webhook(secret).sign('tiny.01m83yc7vx5b9f403wkqdbx6nv.completed', new Date(now * 1000), body),
    );
  });

  it('do not verify for another body, id, timestamp or secret', () => {
    const keys = parseSecrets(secret);
    const signature = sign(keys, 'a', now, body);
    const wh = new Webhook(secret);
    expect(() => wh.verify(`${body} `, headers('a', now, signature))).toThrow(WebhookVerificationError);
    expect(() => wh.verify(body, headers('b', now, signature))).toThrow(WebhookVerificationError);
    expect(() => wh.verify(body, headers('a', now + 1, signature))).toThrow(WebhookVerificationError);
    expect(() => new Webhook(generateSecret()).verify(body, headers('a', now, signature))).toThrow(
      WebhookVerificationError,
    );
  });

  it('sign with every secret while rotating, so receivers holding either one verify', () => {
    const [oldSecret, newSecret] = [generateSecret(), generateSecret()];
    const signature = sign(parseSecrets(`${oldSecret} ${newSecret}`), 'a', now, body);
    expect(signature.split(' ')).toHaveLength(2);
    expect(new Webhook(oldSecret).verify(body, headers('a', now, signature))).toBeTruthy();
    expect(new Webhook(newSecret).verify(body, headers('a', now, signature))).toBeTruthy();
  });

  it('refuse malformed secrets with a message that does not quote them', () => {
    const secretish = 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0';
    const cases: [string, RegExp][] = [
      ['', /got nothing/],
      [secretish, /does not start with 'whsec_'/],
      ['whsec_not base64!', /does not start with|not valid base64/],
      ['whsec_@@@@', /not valid base64/],
      ['whsec_c2hvcnQ=', /is 5 bytes; expected .*24 to 64/],
      [`whsec_${Buffer.alloc(65).toString('base64')}`, /is 65 bytes/],
      [`${generateSecret()} ${secretish}`, /secret 2 of 2 does not start with 'whsec_'/],
    ];
    for (const [text, message] of cases) {
      let error: Error | undefined;
      try {
        parseSecrets(text);
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message, JSON.stringify(text)).toMatch(message);
      expect(error?.message).not.toContain(secretish);
    }
    expect(parseSecrets(`  ${generateSecret()}\t${generateSecret()} `)).toHaveLength(2);
  });
});
