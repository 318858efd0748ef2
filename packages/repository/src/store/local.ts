// Checkpoint store on a local directory (or a file:// URI).
import { access, readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL_NAME } from '@alto/protocol';
import { compareVersions, type CheckpointStore } from './index.ts';

const exists = (p: string) => access(p).then(() => true, () => false);

export class LocalStore implements CheckpointStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root.startsWith('file://') ? fileURLToPath(root) : resolve(root);
  }

  async models(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && MODEL_NAME.test(e.name)).map((e) => e.name).sort();
  }

  async versions(model: string): Promise<string[]> {
    const dir = join(this.root, model);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const complete: string[] = [];
    for (const e of entries) {
      if (e.isDirectory() && (await exists(join(dir, e.name, 'model.onnx')))) complete.push(e.name);
    }
    return complete.sort(compareVersions);
  }

  async config(model: string): Promise<string | undefined> {
    return readFile(join(this.root, model, 'config.json'), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
  }

  async localPath(model: string, version: string): Promise<string> {
    return join(this.root, model, version, 'model.onnx');
  }

  describe(model: string, version?: string): string {
    return join(this.root, model, ...(version ? [version, 'model.onnx'] : []));
  }
}
