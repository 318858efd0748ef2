// What a checkpoint source is: one published model's base URI and the versions under it.
// Layout: <base>/<version>/model.onnx, optional <base>/config.json (model level) and
// <base>/<version>/config.json (version level, overriding the model level field by field).
//
// Completeness rule: a version folder counts once its model.onnx exists and it holds no
// `_WRITING` marker file. A job that writes a version in several steps creates
// `<version>/_WRITING` first and deletes it last. GCS makes an object visible only after its
// upload finished, so a single-file upload needs no marker. Version folder names follow
// compareVersions (numeric names first, by value).

export interface CheckpointVersion {
  version: string;
  /** Location of this version's model.onnx, e.g. gs://b/p/3/model.onnx or /abs/p/3/model.onnx. */
  uri: string;
  /** Bytes. */
  size: number;
  /** Identity of the exact bytes: the GCS object generation; local: `${mtimeMs}-${size}`. */
  generation: string;
  /** Base64 MD5, as GCS metadata md5Hash. */
  md5?: string;
  /** Base64 big-endian CRC32C, as GCS metadata crc32c. */
  crc32c?: string;
}

export type ProgressFn = (done: number, total: number) => void;

export interface CheckpointSource {
  /** The base URI as given, normalised (no trailing slash, `..` resolved, file:// as a path). */
  readonly uri: string;
  /** Complete versions, ascending by compareVersions. A missing base has none. */
  versions(): Promise<CheckpointVersion[]>;
  /** config.json text: model level without a version, else that version's; undefined when absent. */
  config(version?: string): Promise<string | undefined>;
  /**
   * Writes the version's model.onnx to `dest` (must not exist), reporting progress; verifies
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

/** File names inside a version folder. */
export const MODEL_FILE = 'model.onnx';
export const CONFIG_FILE = 'config.json';
export const WRITING_MARKER = '_WRITING';

/** Version folder names a source lists; others (and `.`/`..`) are ignored. */
export const VERSION_NAME = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,128}$/;
