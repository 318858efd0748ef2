import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointError } from './errors.ts';
import type { CheckpointVersion } from './types.ts';
import { writeVerified, type VerifyOptions } from './verified-write.ts';

const HELLO = Buffer.from('hello world');
// What GCS reports for the object "hello world" (its documentation's example values).
const HELLO_CRC32C = 'yZRlqg==';
const HELLO_MD5 = createHash('md5').update(HELLO).digest('base64');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alto-verify-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const version = (over: Partial<CheckpointVersion> = {}): CheckpointVersion => ({
  version: '1',
  uri: 'gs://b/m/1/model.onnx',
  size: HELLO.length,
  generation: '7',
  ...over,
});
const fail = (err: unknown) => new CheckpointError('storage_error', String(err));

let n = 0;
async function write(v: CheckpointVersion, bytes: Buffer, opts?: VerifyOptions) {
  const dest = join(dir, `model-${++n}.onnx`);
  const seen: Array<[number, number]> = [];
  const outcome = await writeVerified(
    Readable.from([bytes.subarray(0, 4), bytes.subarray(4)]),
    dest,
    v,
    (d, t) => seen.push([d, t]),
    fail,
    opts,
  ).then(
    () => undefined,
    (err: unknown) => err,
  );
  const left = await stat(dest).then(
    () => true,
    () => false,
  );
  return { dest, seen, outcome, left };
}

describe('writeVerified', () => {
  it('writes bytes matching size, crc32c and md5, progress counting up to the total', async () => {
    const r = await write(version({ crc32c: HELLO_CRC32C, md5: HELLO_MD5 }), HELLO);
    expect(r.outcome).toBeUndefined();
    expect(await readFile(r.dest)).toEqual(HELLO);
    expect(r.seen).toEqual([
      [4, 11],
      [11, 11],
    ]);
  });

  it('names every mismatch, both sides of each, and leaves no file', async () => {
    const other = Buffer.from('hello World');
    const r = await write(version({ crc32c: HELLO_CRC32C, md5: HELLO_MD5 }), other);
    expect(r.outcome).toBeInstanceOf(CheckpointError);
    expect((r.outcome as CheckpointError).code).toBe('checksum_mismatch');
    const message = (r.outcome as Error).message;
    expect(message).toMatch(/^gs:\/\/b\/m\/1\/model\.onnx \(generation 7\) downloaded corrupt: /);
    expect(message).toMatch(/ corrupt: crc32c: expected yZRlqg==, got [A-Za-z0-9+/]{6}==; md5: expected \S+, got \S+$/);
    expect((r.outcome as Error).message).toContain(`got ${createHash('md5').update(other).digest('base64')}`);
    expect((r.outcome as Error).message).not.toMatch(/got yZRlqg==/);
    expect(r.left).toBe(false);
  });

  it('checks the size when the store records no checksums', async () => {
    const r = await write(version({ size: 12 }), HELLO);
    expect((r.outcome as Error).message).toMatch(/size: expected 12 bytes, got 11$/);
    expect(r.left).toBe(false);
  });

  it('leaves the crc32c to a transport that checks it, still checking md5 and size', async () => {
    expect(
      (await write(version({ crc32c: 'AAAAAA==' }), HELLO, { transportChecksCrc32c: true })).outcome,
    ).toBeUndefined();
    const r = await write(version({ crc32c: 'AAAAAA==', md5: 'x' }), HELLO, { transportChecksCrc32c: true });
    expect((r.outcome as Error).message).toMatch(/downloaded corrupt: md5: expected x, got /);
  });

  it("a stream error becomes the caller's error, leaving no file", async () => {
    const dest = join(dir, 'model.onnx');
    const broken = new Readable({
      read() {
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(writeVerified(broken, dest, version(), undefined, fail)).rejects.toThrow(
      /storage_error|connection reset/,
    );
    expect(
      await stat(dest).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
  });
});
