// What a checkpoint source is: one published model's base URI and the complete versions
// under it. The layout and the completeness rule are in ../layout.ts; every source lists its
// store and applies that rule, so local and gs:// stores agree on what a version is.

/** One more file of a version, downloaded with its model file (params.*, ONNX external data). */
export interface CheckpointFile {
  /** e.g. gs://b/p/3/params.npz */
  uri: string;
  size: number;
  generation: string;
  md5?: string;
  crc32c?: string;
}

export interface CheckpointVersion {
  version: string;
  /** Location of this version's model file, e.g. gs://b/p/3/model.onnx or /abs/p/3/model.onnx. */
  uri: string;
  /** Bytes. */
  size: number;
  /** Identity of the exact bytes: the GCS object generation; local: `${mtimeMs}-${size}`. */
  generation: string;
  /** Base64 MD5, as GCS metadata md5Hash. */
  md5?: string;
  /** Base64 big-endian CRC32C, as GCS metadata crc32c. */
  crc32c?: string;
  /**
   * model.jax only: its weights file (COMPANION_FILES), when the version has one. Listed by
   * stores that are downloaded from (gs://); a local version is read in place with it.
   */
  params?: CheckpointFile;
  /**
   * model.onnx only: the external data files its initializers reference (each a plain file
   * name beside it), all present when listed; downloaded and verified with the model file.
   * The files config.json's pipeline reads (its tokenizer.json) are listed here too.
   */
  external?: CheckpointFile[];
}

/** Bytes of every file of a version: its model file, params file and external data files. */
export const checkpointBytes = (v: CheckpointVersion): number =>
  v.size + (v.params?.size ?? 0) + (v.external ?? []).reduce((n, f) => n + f.size, 0);

export type ProgressFn = (done: number, total: number) => void;

export interface CheckpointSource {
  /** The base URI as given, normalised (no trailing slash, `..` resolved, file:// as a path). */
  readonly uri: string;
  /** Complete versions, ascending by compareVersions. A missing base has none. */
  versions(): Promise<CheckpointVersion[]>;
  /** config.json text: model level without a version, else that version's; undefined when absent. */
  config(version?: string): Promise<string | undefined>;
  /**
   * Writes the version's model file to `dest` (must not exist), reporting progress; verifies
   * size and crc32c/md5 when the store has them; throws CheckpointError code
   * 'checksum_mismatch' on a mismatch (and removes the partial file).
   */
  download(v: CheckpointVersion, dest: string, onProgress?: ProgressFn): Promise<void>;
  /** A path onnxruntime can open directly without copying (local sources), else undefined. */
  directPath(v: CheckpointVersion): string | undefined;
}

export interface OpenSourceOptions {
  /**
   * GCS endpoint, e.g. http://127.0.0.1:4443 for an emulator (no credentials are used then).
   * @default STORAGE_EMULATOR_HOST when set (the client reads it itself), else Google's endpoint
   */
  gcsEndpoint?: string;
  /** Google Cloud project of the client. @default the client's own discovery */
  projectId?: string;
}
