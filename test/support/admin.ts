// Requests to the admin API, the publisher's own or through a gateway's /v1/admin, for
// end-to-end tests of publishing. Replies are JSON, errors included.
import { ADMIN_TOKEN } from './fleet.ts';
import type { Reply } from './http.ts';

/**
 * `method` `base`/v1/admin`path`, with `body` as JSON when given, as the admin; `token`
 * replaces the admin token, and null sends no Authorization header.
 */
export async function adminRequest(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = ADMIN_TOKEN,
): Promise<Reply> {
  const res = await fetch(`${base}/v1/admin${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}
