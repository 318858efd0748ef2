// The payload store on local files: ALTO_PAYLOAD_ROOTS confines reads and writes (lexically
// and after following symlinks), a read is refused by size before reading, a missing file is
// not_found, and writes land whole. The gs:// side runs against fake-gcs-server in test/payloads.test.ts.
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PayloadError } from './errors.ts';
import { PayloadStore } from './store.ts';
import { assertPayloadAllowed, joinObjectUri, parseObjectUri } from './uri.ts';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'alto-payloads-')));
const root = join(base, 'payloads');
const outside = join(base, 'outside');
mkdirSync(root);
mkdirSync(outside);
writeFileSync(join(root, 'x.bin'), Buffer.from([1, 2, 3, 4]));
writeFileSync(join(outside, 'secret.bin'), 'secret');
symlinkSync(outside, join(root, 'escape'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<PayloadError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PayloadError);
  return err as PayloadError;
}

describe('payload uris', () => {
  it('parses objects in gs:// and local stores, and refuses a bare bucket', () => {
    expect(parseObjectUri('gs://bkt/in/a.npy')).toEqual({
      kind: 'gcs',
      uri: 'gs://bkt/in/a.npy',
      bucket: 'bkt',
      name: 'in/a.npy',
    });
    expect(parseObjectUri('file:///srv/p/a.npy')).toEqual({ kind: 'local', uri: '/srv/p/a.npy', path: '/srv/p/a.npy' });
    expect(() => parseObjectUri('gs://bkt/')).toThrow(/names a bucket, not an object/);
    expect(() => parseObjectUri('s3://bkt/a')).toThrow(/uri 's3:\/\/bkt\/a': unsupported scheme/);
  });

  it('refuses a uri outside the roots, naming it, ALTO_PAYLOAD_ROOTS and the roots', () => {
    const roots = ['gs://in-bucket/req', root];
    expect(() => assertPayloadAllowed('gs://in-bucket/req/a.npy', roots)).not.toThrow();
    expect(() => assertPayloadAllowed('gs://other/req/a.npy', roots)).toThrow(
      `uri 'gs://other/req/a.npy' is not under an allowed payload root (ALTO_PAYLOAD_ROOTS: gs://in-bucket/req, ${root})`,
    );
    expect(() => assertPayloadAllowed('gs://in-bucket/req/../x', roots)).toThrow(
      /'gs:\/\/in-bucket\/req\/\.\.\/x' \(gs:\/\/in-bucket\/x\)/,
    );
    expect(() => assertPayloadAllowed('gs://in-bucket/req2/a', roots)).toThrow(PayloadError);
    expect(() => assertPayloadAllowed('/srv/a', [])).toThrow(/ALTO_PAYLOAD_ROOTS is empty/);
  });

  it('joins a prefix and a name with one slash', () => {
    expect(joinObjectUri('gs://b/out/', 'p1/y.npy')).toBe('gs://b/out/p1/y.npy');
    expect(joinObjectUri('gs://b/out', 'p1/y.npy')).toBe('gs://b/out/p1/y.npy');
  });
});

describe('PayloadStore on local files', () => {
  const store = new PayloadStore({ roots: [pathToFileURL(root).href], maxBytes: 8 });

  it('reads a file under a root, by path or file:// uri', async () => {
    expect([...(await store.read(join(root, 'x.bin')))]).toEqual([1, 2, 3, 4]);
    expect((await store.stat(pathToFileURL(join(root, 'x.bin')).href)).size).toBe(4);
  });

  it('refuses a file larger than maxBytes before reading it', async () => {
    writeFileSync(join(root, 'big.bin'), Buffer.alloc(9));
    const err = await failure(store.read(join(root, 'big.bin')));
    expect(err.code).toBe('too_large');
    expect(err.message).toMatch(/is 9 bytes, more than the 8 allowed \(ALTO_PAYLOAD_MAX_BYTES\)/);
    expect((await store.read(join(root, 'big.bin'), 16)).length).toBe(9);
  });

  it('a missing file is not_found', async () => {
    expect((await failure(store.read(join(root, 'gone.bin')))).code).toBe('not_found');
  });

  it('refuses a symlink that leads out of the roots, naming where it resolves to', async () => {
    const err = await failure(store.read(join(root, 'escape', 'secret.bin')));
    expect(err.code).toBe('uri_not_allowed');
    expect(err.message).toContain(`resolves to ${join(outside, 'secret.bin')}`);
    expect((await failure(store.write(join(root, 'escape', 'w.bin'), new Uint8Array(1)))).code).toBe('uri_not_allowed');
  });

  it('writes a file whole, making its folders', async () => {
    await store.write(join(root, 'out', 'p1', 'y.npy'), Buffer.from('hello'));
    expect(readFileSync(join(root, 'out', 'p1', 'y.npy'), 'utf8')).toBe('hello');
    await store.write(join(root, 'out', 'p1', 'y.npy'), Buffer.from('again'));
    expect(readFileSync(join(root, 'out', 'p1', 'y.npy'), 'utf8')).toBe('again');
  });
});
