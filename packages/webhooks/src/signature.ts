// Standard Webhooks signatures (https://www.standardwebhooks.com): each delivery carries
// `webhook-signature: v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`
// keyed by the secret's bytes. Several secrets (rotation) sign side by side, space-separated;
// a receiver accepts a delivery when any of them matches its own.
import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** What a valid secret looks like, for error messages. */
export const SECRET_FORMAT =
  "'whsec_' followed by the base64 of 24 to 64 random bytes; several separated by spaces while rotating";

/**
 * The keys of ALTO_WEBHOOK_SECRET: one or more `whsec_<base64>` separated by spaces. Throws
 * an Error naming the position of a bad one, never its value (it is a secret).
 */
export function parseSecrets(text: string): Buffer[] {
  const parts = text.split(/\s+/).filter(Boolean);
  if (parts.length === 0) throw new Error(`expected ${SECRET_FORMAT}, got nothing`);
  return parts.map((part, i) => {
    const which = parts.length > 1 ? `secret ${i + 1} of ${parts.length}` : 'the secret';
    if (!part.startsWith(PREFIX))
      throw new Error(`${which} does not start with '${PREFIX}'; expected ${SECRET_FORMAT}`);
    const b64 = part.slice(PREFIX.length);
    const key = Buffer.from(b64, 'base64');
    if (!BASE64.test(b64) || b64.length % 4 !== 0 || key.toString('base64') !== b64) {
      throw new Error(`${which} is not valid base64 after '${PREFIX}'; expected ${SECRET_FORMAT}`);
    }
    if (key.length < 24 || key.length > 64)
      throw new Error(`${which} is ${key.length} bytes; expected ${SECRET_FORMAT}`);
    return key;
  });
}

/** A new secret: 32 random bytes. */
export const generateSecret = (): string => `${PREFIX}${randomBytes(32).toString('base64')}`;

/** The `webhook-signature` header value: one `v1,<signature>` per key, space-separated. */
export function sign(keys: readonly Buffer[], webhookId: string, timestampSeconds: number, body: string): string {
  const content = `${webhookId}.${timestampSeconds}.${body}`;
  return keys.map((k) => `v1,${createHmac('sha256', k).update(content).digest('base64')}`).join(' ');
}
