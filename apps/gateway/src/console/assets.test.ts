import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSP, assetResponse, loadAssets } from './assets.ts';

describe('console assets', () => {
  it('is undefined until the console is built (no index.html)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alto-console-assets-'));
    expect(loadAssets(dir)).toBeUndefined();
    expect(loadAssets(join(dir, 'missing'))).toBeUndefined();
  });

  it('serves each file with its type, the CSP, an ETag, and 304 for a current copy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alto-console-assets-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    writeFileSync(join(dir, 'app.js'), 'export {};');
    writeFileSync(join(dir, 'notes.txt'), 'not served');
    const assets = loadAssets(dir)!;
    expect([...assets.keys()].sort()).toEqual(['app.js', 'index.html']);
    const js = assets.get('app.js')!;
    const r = assetResponse(js, undefined);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(r.headers.get('content-security-policy')).toBe(CSP);
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(await r.text()).toBe('export {};');
    expect(assetResponse(js, js.etag).status).toBe(304);
    expect(assetResponse(js, '"other"').status).toBe(200);
  });

  it('allows no inline script, no other origin and no framing', () => {
    expect(CSP).toContain("default-src 'none'");
    expect(CSP).toContain("script-src 'self'");
    expect(CSP).not.toContain('unsafe-inline');
    expect(CSP).toContain("frame-ancestors 'none'");
  });
});
