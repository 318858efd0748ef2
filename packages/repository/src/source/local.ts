// A checkpoint source on the local filesystem (a path or file:// URI). onnxruntime opens its
// files in place (directPath); download copies, for callers that want their own copy.
import { lstat, open, readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  CONFIG_FILE,
  compareVersions,
  completeModelFile,
  isVersionName,
  modelFileOf,
  versionFolder,
} from '../layout.ts';
import { externalDataFile, externalDataFiles } from '../onnx-external.ts';
import { pipelineFiles } from '../pipeline-files.ts';
import { CheckpointError } from './errors.ts';
import type { CheckpointFile, CheckpointSource, CheckpointVersion, ProgressFn } from './types.ts';
import { writeVerified } from './verified-write.ts';

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

export class LocalSource implements CheckpointSource {
  readonly uri: string;

  constructor(private readonly root: string) {
    this.uri = root;
  }

  async versions(): Promise<CheckpointVersion[]> {
    let entries;
    try {
      entries = await readdir(this.root, { withFileTypes: true });
    } catch (err) {
      if (code(err) === 'ENOENT') return [];
      throw this.fsError(this.root, err);
    }
    const found = await Promise.all(
      entries
        .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && isVersionName(e.name))
        .map((e) => this.complete(e.name)),
    );
    return found.filter((v) => v !== undefined).sort((a, b) => compareVersions(a.version, b.version));
  }

  private async complete(version: string): Promise<CheckpointVersion | undefined> {
    const dir = join(this.root, version);
    try {
      const file = completeModelFile(await orMissing(readdir(dir), []));
      const model = file === undefined ? undefined : await orMissing(stat(join(dir, file)), undefined);
      if (!file || !model?.isFile()) return undefined;
      const v: CheckpointVersion = {
        version,
        uri: join(dir, file),
        size: model.size,
        generation: `${model.mtimeMs}-${model.size}`,
      };
      if (file !== 'model.onnx') return v;
      const external = await this.external(v);
      if (external === undefined) return undefined;
      // The files config.json's pipeline reads (tokenizer.json) complete the version too.
      const names = pipelineFiles(dir, await this.config(), await this.config(version));
      const extra = await this.plainFiles(v, names, 'pipeline file');
      if (extra === undefined) return undefined;
      const all = [...external, ...extra];
      return all.length > 0 ? { ...v, external: all } : v;
    } catch (err) {
      if (err instanceof CheckpointError) throw err;
      throw this.fsError(dir, err);
    }
  }

  /**
   * The external data files model.onnx references, or undefined while one is missing (the
   * version is not complete yet). One that is not a regular file (a symlink, a folder) is
   * refused: it could lead out of the version folder.
   */
  private async external(v: CheckpointVersion): Promise<CheckpointFile[] | undefined> {
    const fh = await open(v.uri, 'r');
    let names: string[];
    try {
      names = await externalDataFiles(
        v.uri,
        v.generation,
        async (offset, length) => {
          const buf = Buffer.alloc(length);
          const { bytesRead } = await fh.read(buf, 0, length, offset);
          return buf.subarray(0, bytesRead);
        },
        v.size,
      );
    } finally {
      await fh.close();
    }
    return this.plainFiles(v, names, 'external data location');
  }

  /** Regular files beside the model file, or undefined while one is missing. */
  private async plainFiles(v: CheckpointVersion, names: string[], what: string): Promise<CheckpointFile[] | undefined> {
    const files: CheckpointFile[] = [];
    for (const name of names) {
      const path = join(dirname(v.uri), name);
      const st = await orMissing(lstat(path), undefined);
      if (st === undefined) return undefined;
      if (!st.isFile()) {
        const kind = st.isSymbolicLink() ? 'a symlink' : 'not a regular file';
        throw new CheckpointError(
          'invalid_uri',
          `${v.uri}: ${what} ${JSON.stringify(name)} is ${kind}; expected a regular file beside model.onnx`,
        );
      }
      files.push({ uri: path, size: st.size, generation: `${st.mtimeMs}-${st.size}` });
    }
    return files;
  }

  async config(version?: string): Promise<string | undefined> {
    const path =
      version === undefined
        ? join(this.root, CONFIG_FILE)
        : join(this.root, versionFolder(this.uri, version), CONFIG_FILE);
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') return undefined;
      throw this.fsError(path, err);
    }
  }

  async download(v: CheckpointVersion, dest: string, onProgress?: ProgressFn): Promise<void> {
    // One of the version's external data files (listed with it), else its model file.
    const data = v.external?.some((f) => f.uri === v.uri) ? basename(v.uri) : undefined;
    const path =
      data === undefined
        ? this.directPath(v)
        : join(this.root, versionFolder(this.uri, v.version), externalDataFile(v.uri, data));
    // Open first: a stream that opens lazily can fail before anyone listens for its error.
    const fh = await open(path, 'r').catch((err: unknown) => {
      throw this.fsError(path, err);
    });
    await writeVerified(fh.createReadStream(), dest, v, onProgress, (err) => this.fsError(path, err));
  }

  directPath(v: CheckpointVersion): string {
    return join(this.root, versionFolder(this.uri, v.version), modelFileOf(v.uri));
  }

  private fsError(path: string, err: unknown): CheckpointError {
    const c = code(err);
    if (c === 'ENOENT') return new CheckpointError('not_found', `${path} does not exist`, { cause: err });
    return new CheckpointError('storage_error', `${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** `fallback` when nothing is there (gone since it was listed, or a file where a folder was expected). */
async function orMissing<T, F>(p: Promise<T>, fallback: F): Promise<T | F> {
  try {
    return await p;
  } catch (err) {
    if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') return fallback;
    throw err;
  }
}
