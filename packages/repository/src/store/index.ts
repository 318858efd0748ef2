// Where checkpoints live. The foundation ships the local-disk store; a GCS store implements
// the same interface. Layout: <base>/<model>/<version>/model.onnx, optional
// <base>/<model>/config.json. A version is complete once its model.onnx exists.

export interface CheckpointStore {
  /** Model names in the repository. */
  models(): Promise<string[]>;
  /** Complete versions of a model, ascending (numeric names first, by value). */
  versions(model: string): Promise<string[]>;
  /** config.json text of a model, or undefined when it has none. */
  config(model: string): Promise<string | undefined>;
  /** A local file path of the version's model.onnx (downloading it first if remote). */
  localPath(model: string, version: string): Promise<string>;
  /** Human-readable location, for messages. */
  describe(model: string, version?: string): string;
}

export function compareVersions(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return Number(a) - Number(b);
  if (na !== nb) return na ? -1 : 1;
  return a.localeCompare(b);
}
