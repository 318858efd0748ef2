import { generateSecret, parseSecrets, sign } from '@alto/webhooks';
import { describe, expect, it } from 'vitest';
import { AltoError } from './errors.ts';
import { verifyWebhook } from './webhook.ts';

const prediction = {
  id: 'tiny.01',
  model: 'tiny',
  version: '1',
  status: 'succeeded',
  output: { y: { datatype: 'FP32', shape: [2], data: [1, null] } },
  error: null,
  created_at: '2026-11-30T00:00:00.000Z',
  started_at: null,
  completed_at: null,
  metrics: { queue_ms: null, predict_ms: null, batch_size: null },
  urls: { get: 'g', cancel: 'c' },
  webhooks: null,
};
const body = JSON.stringify({ type: 'prediction.completed', timestamp: '2026-11-30T00:00:00.000Z', data: prediction });
const now = 1_780_000_000;

function signed(secret: string, payload = body, ts = now) {
  return {
    'webhook-id': 'tiny.01.completed',
    'webhook-timestamp': String(ts),
    'webhook-signature': sign(parseSecrets(secret), 'tiny.01.completed', ts, payload),
  };
}

const code = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AltoError);
  return `${(err as AltoError).code}: ${(err as AltoError).message}`;
};

describe('verifyWebhook', () => {
  const secret = generateSecret();

  it('accepts what the dispatcher signs and decodes the prediction', async () => {
    const event = await verifyWebhook(signed(secret), body, secret, { now: now * 1000 });
    expect(event.type).toBe('prediction.completed');
    expect(event.data.output?.y?.data).toEqual(new Float32Array([1, NaN]));
  });

  it('accepts any of the rotating secrets, from a Headers object and a byte body', async () => {
    const old = generateSecret();
    const headers = new Headers(signed(`${old} ${secret}`));
    await expect(
      verifyWebhook(headers, new TextEncoder().encode(body), old, { now: now * 1000 }),
    ).resolves.toBeTruthy();
    await expect(
      verifyWebhook(headers, body, `${generateSecret()} ${secret}`, { now: now * 1000 }),
    ).resolves.toBeTruthy();
  });

  it('refuses a tampered body, another secret, a stale timestamp and missing headers', async () => {
    const h = signed(secret);
    expect(await code(verifyWebhook(h, body.replace('succeeded', 'failed'), secret, { now: now * 1000 }))).toBe(
      'invalid_signature: webhook: no signature in webhook-signature matches the secret (webhook-id tiny.01.completed)',
    );
    expect(await code(verifyWebhook(h, body, generateSecret(), { now: now * 1000 }))).toContain('matches the secret');
    expect(await code(verifyWebhook(h, body, secret, { now: (now + 301) * 1000 }))).toBe(
      'invalid_signature: webhook: webhook-timestamp is 301 s from now; at most 300 s allowed',
    );
    expect(await code(verifyWebhook({ 'webhook-id': 'x' }, body, secret))).toBe(
      'invalid_signature: webhook: missing header webhook-timestamp, webhook-signature',
    );
    expect(await code(verifyWebhook(h, body, 'nope', { now: now * 1000 }))).toContain("does not start with 'whsec_'");
  });
});
