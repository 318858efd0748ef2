import { ERROR_CODES, httpStatus } from '@alto/protocol';
import { describe, expect, it } from 'vitest';
import { AltoError, replyError } from './errors.ts';

describe('replyError', () => {
  it('turns every error code the API answers with into an AltoError of that code and status', () => {
    for (const code of ERROR_CODES) {
      const status = httpStatus(code);
      const e = replyError(status, JSON.stringify({ error: { code, message: `m ${code}` } }), 'GET /x');
      expect(e).toBeInstanceOf(AltoError);
      expect([e.code, e.status, e.message]).toEqual([code, status, `m ${code}`]);
      expect(e.retryable).toBe(status === 503 || status === 429);
    }
  });

  it('names a reply that is not the API error body, keeping the body', () => {
    const e = replyError(502, '<html>\nBad Gateway</html>', 'GET http://h/v1/predictions/x');
    expect([e.code, e.status, e.message]).toEqual([
      'invalid_response',
      502,
      'GET http://h/v1/predictions/x: HTTP 502: <html>',
    ]);
    expect(e.body).toBe('<html>\nBad Gateway</html>');
  });
});
