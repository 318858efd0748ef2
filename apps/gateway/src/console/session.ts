// The console's session: the admin token an operator logged in with, sealed (AES-256-GCM) into
// an HttpOnly cookie, so any gateway sharing ALTO_CONSOLE_SECRET can open it and nothing
// readable by a script or a proxy log holds the token. Also the CSRF checks every
// state-changing console request passes. Pure functions: console-routes.ts does the HTTP.
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const COOKIE = 'alto_console';
/** Header carrying the session's CSRF token on every state-changing call. */
export const CSRF_HEADER = 'x-alto-csrf';

export interface Session {
  /** The admin token the session acts with (sent on to the publisher). */
  token: string;
  /** Random per session; the page reads it from /console/api/session and echoes it in CSRF_HEADER. */
  csrf: string;
  /** Expiry, ms since the epoch. */
  exp: number;
}

/** A sealer for one secret: any text; the cipher key is its SHA-256. */
export function sessionSeal(secret: string) {
  const key = createHash('sha256').update(`alto-console:${secret}`).digest();
  return {
    /** A new session for `token`, valid for `ttlMs`. */
    create(token: string, ttlMs: number, now = Date.now()): Session {
      return { token, csrf: randomBytes(18).toString('base64url'), exp: now + ttlMs };
    },
    /** The cookie value: base64url(iv ‖ ciphertext ‖ tag). */
    seal(s: Session): string {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(JSON.stringify(s), 'utf8'), cipher.final()]);
      return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    },
    /** The session a cookie value holds, or undefined if forged, altered, sealed with another secret or expired. */
    open(value: string | undefined, now = Date.now()): Session | undefined {
      if (!value || value.length > 4096) return undefined;
      const raw = Buffer.from(value, 'base64url');
      if (raw.length < 12 + 16 + 2) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(raw.length - 16));
        const text = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
        const s = JSON.parse(text.toString('utf8')) as Session;
        if (typeof s.token !== 'string' || typeof s.csrf !== 'string' || typeof s.exp !== 'number') return undefined;
        return s.exp > now ? s : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

export type SessionSeal = ReturnType<typeof sessionSeal>;

/** The Set-Cookie value for a session (or, with value '', one that clears it). */
export function sessionCookie(value: string, opts: { secure: boolean; maxAgeSeconds: number }): string {
  const parts = [`${COOKIE}=${value}`, 'Path=/console', 'HttpOnly', 'SameSite=Strict', `Max-Age=${opts.maxAgeSeconds}`];
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}

/** The value of cookie `name` in a Cookie header. */
export function readCookie(header: string | undefined, name = COOKIE): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Why a state-changing request must be refused, or undefined when it may go on: it must come
 * from the console's own origin (Origin, else Referer; a browser sends one of them on every
 * POST) and carry the session's CSRF token. SameSite=Strict already keeps the cookie off
 * cross-site requests; these checks also hold against a sibling subdomain.
 */
export function csrfRefusal(
  req: { origin: string | undefined; referer: string | undefined; csrf: string | undefined },
  expectedOrigin: string,
  session: Session | undefined,
): string | undefined {
  let from = req.origin;
  if (from === undefined && req.referer) {
    try {
      from = new URL(req.referer).origin;
    } catch {
      from = 'an unparsable Referer';
    }
  }
  if (from !== expectedOrigin) {
    return `header 'Origin': expected ${expectedOrigin}, got ${from === undefined ? 'none' : `'${from}'`}`;
  }
  if (!session) return undefined;
  const got = Buffer.from(req.csrf ?? '');
  const want = Buffer.from(session.csrf);
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    const what = req.csrf === undefined ? 'none' : 'a token that is not this session’s';
    return `header '${CSRF_HEADER}': expected the session's CSRF token, got ${what}`;
  }
  return undefined;
}
