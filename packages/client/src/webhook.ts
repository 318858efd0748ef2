// Verifies a webhook delivery of an Alto fleet, the Standard Webhooks way the dispatcher signs
// it: `webhook-signature` holds one or more `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`
// keyed by the bytes of a `whsec_` secret, and `webhook-timestamp` must be recent. WebCrypto
// only, so it runs wherever fetch does (Node, Deno, Bun, workers, browsers).
import { decodeBase64, encodeBase64 } from './base64.ts';
import { AltoError } from './errors.ts';
import { decodePrediction, type Prediction } from './prediction.ts';
import type { PredictionJson } from './types.ts';

export interface WebhookEvent {
  type: 'prediction.started' | 'prediction.completed';
  /** When the event happened (ISO 8601). */
  timestamp: string;
  /** The prediction as GET renders it at the event, its tensors decoded. */
  data: Prediction;
}

export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** Largest difference between `webhook-timestamp` and now. @default 300 */
  toleranceSeconds?: number;
  /** The time to check against, epoch ms. @default Date.now() */
  now?: number;
}

const PREFIX = 'whsec_';
const fail = (message: string) => new AltoError('invalid_signature', `webhook: ${message}`);

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const rec = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : rec[key];
  return Array.isArray(v) ? v.join(' ') : v;
}

function keyBytes(secret: string): Uint8Array {
  if (!secret.startsWith(PREFIX)) throw fail(`the secret does not start with '${PREFIX}'`);
  try {
    return decodeBase64(secret.slice(PREFIX.length), 'the secret');
  } catch {
    throw fail(`the secret is not base64 after '${PREFIX}'`);
  }
}

/** Compares in time independent of where the strings differ. */
function same(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Checks a delivery and returns its event. `body` is the raw body as received (before any
 * JSON parsing); `secret` the fleet's `whsec_…` ALTO_WEBHOOK_SECRET (several, space-separated,
 * while rotating: any may match). Throws AltoError `invalid_signature` naming what failed.
 */
export async function verifyWebhook(
  headers: HeaderSource,
  body: string | Uint8Array,
  secret: string,
  options: VerifyOptions = {},
): Promise<WebhookEvent> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    const missing = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].filter((h) => !header(headers, h));
    throw fail(`missing header ${missing.join(', ')}`);
  }
  if (!/^\d+$/.test(timestamp)) throw fail(`webhook-timestamp must be Unix seconds, got '${timestamp}'`);
  const tolerance = options.toleranceSeconds ?? 300;
  const skew = Math.abs((options.now ?? Date.now()) / 1000 - Number(timestamp));
  if (skew > tolerance)
    throw fail(`webhook-timestamp is ${Math.round(skew)} s from now; at most ${tolerance} s allowed`);

  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const content = new Uint8Array(prefix.length + bytes.length);
  content.set(prefix, 0);
  content.set(bytes, prefix.length);
  const given = signatures
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => s.slice(3));
  for (const secretPart of secret.split(/\s+/).filter(Boolean)) {
    const key = await crypto.subtle.importKey(
      'raw',
      keyBytes(secretPart) as Uint8Array<ArrayBuffer>,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const expected = encodeBase64(new Uint8Array(await crypto.subtle.sign('HMAC', key, content)));
    if (given.some((g) => same(g, expected))) return parseEvent(bytes);
  }
  throw fail(`no signature in webhook-signature matches the secret (webhook-id ${id})`);
}

function parseEvent(bytes: Uint8Array): WebhookEvent {
  let event: { type: WebhookEvent['type']; timestamp: string; data: PredictionJson };
  try {
    event = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw fail('the signed body is not JSON');
  }
  return { type: event.type, timestamp: event.timestamp, data: decodePrediction(event.data) };
}
