// The address an admin request came from: the socket's peer, or, when that peer is a trusted
// proxy (a gateway passing /v1/admin on), the last address it put in X-Forwarded-For. Used to
// limit failed logins and to say in the audit log where an action came from.
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

export function clientAddress(c: Context, trustedProxies: readonly string[]): string {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const peer = incoming?.socket?.remoteAddress ?? 'unknown';
  if (!trustedProxies.includes(peer)) return peer;
  // The entry the trusted proxy appended is the last one; earlier ones are the client's word.
  const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
  return forwarded || peer;
}
