import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertAllowedRoot } from './allowed.ts';
import { CheckpointError } from './errors.ts';
import { parseUri } from './uri.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(CheckpointError);
    return (err as CheckpointError).code;
  }
}

describe('parseUri', () => {
  it('normalises gs:// uris: trailing and double slashes, `.` and `..` inside the prefix', () => {
    expect(parseUri('gs://bkt/a/b/').uri).toBe('gs://bkt/a/b');
    expect(parseUri('gs://bkt//a//b').uri).toBe('gs://bkt/a/b');
    expect(parseUri('gs://bkt/a/./x/../b')).toEqual({ kind: 'gcs', uri: 'gs://bkt/a/b', bucket: 'bkt', prefix: 'a/b' });
    expect(parseUri('gs://bkt')).toEqual({ kind: 'gcs', uri: 'gs://bkt', bucket: 'bkt', prefix: '' });
    expect(parseUri('gs://bkt/').uri).toBe('gs://bkt');
  });

  it('turns file:// uris and relative paths into absolute paths', () => {
    expect(parseUri('file:///srv/models/m/')).toEqual({ kind: 'local', uri: '/srv/models/m', path: '/srv/models/m' });
    expect(parseUri('file:///srv/a%20b').uri).toBe('/srv/a b');
    expect(parseUri('models/x/../m').uri).toBe(resolve('models/m'));
    expect(parseUri('/srv/m/../n').uri).toBe('/srv/n');
  });

  it.each([
    ['', /empty/],
    ['gs://', /no bucket name/],
    ['gs:///prefix', /no bucket name/],
    ['gs://Upper_Case/p', /not a valid GCS bucket name/],
    ['gs://b/p', /not a valid GCS bucket name/],
    ['gs://bkt/../other', /above the bucket root/],
    ['gs://bkt/a/../../x', /above the bucket root/],
    ['s3://bkt/p', /unsupported scheme 's3:\/\/'/],
    ['https://example.com/m', /unsupported scheme 'https:\/\/'/],
    ['file://otherhost/srv/m', /host/],
    ['/srv/m\u0000x', /control character/],
  ])('rejects %j as invalid_uri naming the problem', (uri, why) => {
    expect(() => parseUri(uri)).toThrow(why);
    expect(codeOf(() => parseUri(uri))).toBe('invalid_uri');
  });
});

describe('assertAllowedRoot', () => {
  const roots = ['gs://ckpt/prod', '/srv/models'];

  it('allows a root itself and anything below it', () => {
    for (const uri of [
      'gs://ckpt/prod',
      'gs://ckpt/prod/',
      'gs://ckpt/prod/m/1',
      '/srv/models',
      '/srv/models/m',
      'file:///srv/models/m',
    ]) {
      expect(() => assertAllowedRoot(uri, roots), uri).not.toThrow();
    }
  });

  it('refuses a sibling that merely shares the prefix', () => {
    expect(codeOf(() => assertAllowedRoot('gs://ckpt/prod2/m', roots))).toBe('uri_not_allowed');
    expect(codeOf(() => assertAllowedRoot('gs://ckpt/production', roots))).toBe('uri_not_allowed');
    expect(codeOf(() => assertAllowedRoot('/srv/models-old/m', roots))).toBe('uri_not_allowed');
  });

  it('refuses `..` escapes, resolved before comparing', () => {
    expect(codeOf(() => assertAllowedRoot('gs://ckpt/prod/../staging/m', roots))).toBe('uri_not_allowed');
    expect(codeOf(() => assertAllowedRoot('/srv/models/../secrets', roots))).toBe('uri_not_allowed');
    expect(codeOf(() => assertAllowedRoot(pathToFileURL('/srv/models').href + '/../etc', roots))).toBe(
      'uri_not_allowed',
    );
    // ...and allows a `..` that stays inside.
    expect(() => assertAllowedRoot('gs://ckpt/prod/a/../m', roots)).not.toThrow();
  });

  it('refuses another bucket and another kind of store', () => {
    expect(codeOf(() => assertAllowedRoot('gs://other/prod/m', roots))).toBe('uri_not_allowed');
    expect(codeOf(() => assertAllowedRoot('gs://srv/models', ['/srv/models']))).toBe('uri_not_allowed');
    expect(codeOf(() => assertAllowedRoot('/ckpt/prod', ['gs://ckpt/prod']))).toBe('uri_not_allowed');
  });

  it('a whole-bucket root allows all of that bucket', () => {
    expect(() => assertAllowedRoot('gs://ckpt/any/thing', ['gs://ckpt'])).not.toThrow();
  });

  it('empty roots allow nothing', () => {
    expect(codeOf(() => assertAllowedRoot('/srv/models/m', []))).toBe('uri_not_allowed');
    expect(() => assertAllowedRoot('/srv/models/m', [])).toThrow(/none are configured/);
  });

  it('names the uri and the allowed roots in its message', () => {
    expect(() => assertAllowedRoot('gs://ckpt/prod/../x', roots)).toThrow(
      "checkpoint uri 'gs://ckpt/prod/../x' (gs://ckpt/x) is not under an allowed root; allowed roots: gs://ckpt/prod, /srv/models",
    );
  });

  it('an invalid uri or root is invalid_uri, not a refusal', () => {
    expect(codeOf(() => assertAllowedRoot('s3://ckpt/prod', roots))).toBe('invalid_uri');
    expect(codeOf(() => assertAllowedRoot('gs://ckpt/prod/m', ['gs://']))).toBe('invalid_uri');
  });
});
