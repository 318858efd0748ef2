// The console's static files, built at install (scripts/build-console.mjs) into
// apps/gateway/console/dist: read once, served with their content type, an ETag, and a
// Content-Security-Policy that allows only this origin's own scripts, styles and calls.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the build writes. */
export const ASSETS_DIR = fileURLToPath(new URL('../../console/dist', import.meta.url));

/** No inline script or style, no other origin, no framing. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Headers every console answer carries. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** The built files by name (flat folder), or undefined when the console was not built. */
export function loadAssets(dir = ASSETS_DIR): Map<string, Asset> | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const out = new Map<string, Asset>();
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    out.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return out.has('index.html') ? out : undefined;
}

/**
 * The answer for one asset: 304 when the browser's copy is current. `no-cache` makes it ask
 * each time (names carry no hash, so an upgrade shows at once); the ETag keeps that cheap.
 */
export function assetResponse(a: Asset, ifNoneMatch: string | undefined): Response {
  const headers = { ...SECURITY_HEADERS, etag: a.etag, 'cache-control': 'no-cache' };
  if (ifNoneMatch === a.etag) return new Response(null, { status: 304, headers });
  return new Response(new Uint8Array(a.body), { status: 200, headers: { ...headers, 'content-type': a.type } });
}
