// Streams a version's bytes into a new file while counting and checksumming them, then
// compares with what the store recorded. The one place where downloads are verified; a
// failed or mismatching write leaves no file behind.
import { createHash } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CRC32C } from '@google-cloud/storage';
import { CheckpointError } from './errors.ts';
import type { CheckpointVersion, ProgressFn } from './types.ts';

export interface VerifyOptions {
  /**
   * The transport checks the crc32c itself (the GCS client validates each whole-object
   * download), so it is not computed a second time here. @default false
   */
  transportChecksCrc32c?: boolean;
}

export async function writeVerified(
  input: Readable,
  dest: string,
  v: CheckpointVersion,
  onProgress: ProgressFn | undefined,
  mapError: (err: unknown) => CheckpointError,
  opts: VerifyOptions = {},
): Promise<void> {
  let fh;
  try {
    fh = await open(dest, 'wx');
  } catch (err) {
    input.destroy();
    throw new CheckpointError('storage_error', `cannot create ${dest} for ${v.uri}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const crc = v.crc32c === undefined || opts.transportChecksCrc32c ? undefined : new CRC32C();
  const md5 = v.md5 === undefined ? undefined : createHash('md5');
  let done = 0;
  let reported = -1;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      crc?.update(chunk);
      md5?.update(chunk);
      if (onProgress) {
        reported = done;
        onProgress(done, v.size);
      }
      cb(null, chunk);
    },
  });
  try {
    try {
      // flush: fsync before close, so the file is durable before anyone renames it into place
      // (a crash must not leave a complete-looking empty file).
      await pipeline(input, meter, fh.createWriteStream({ flush: true }));
    } catch (err) {
      throw err instanceof CheckpointError ? err : mapError(err);
    } finally {
      await fh.close().catch(() => {}); // the stream closed it unless it failed early
    }
    if (onProgress && reported !== done) onProgress(done, v.size);
    const problems: string[] = [];
    if (done !== v.size) problems.push(`size: expected ${v.size} bytes, got ${done}`);
    const gotCrc = crc?.toString();
    if (gotCrc !== undefined && gotCrc !== v.crc32c) problems.push(`crc32c: expected ${v.crc32c}, got ${gotCrc}`);
    const gotMd5 = md5?.digest('base64');
    if (gotMd5 !== undefined && gotMd5 !== v.md5) problems.push(`md5: expected ${v.md5}, got ${gotMd5}`);
    if (problems.length > 0) {
      throw new CheckpointError(
        'checksum_mismatch',
        `${v.uri} (generation ${v.generation}) downloaded corrupt: ${problems.join('; ')}`,
      );
    }
  } catch (err) {
    await unlink(dest).catch(() => {});
    throw err;
  }
}
