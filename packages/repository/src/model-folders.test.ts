import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listModelFolders, modelFolder } from './model-folders.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'alto-repo-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('listModelFolders', () => {
  it('lists the folders named as models, by name, each with its absolute path as base uri', async () => {
    for (const d of ['tiny', 'textdir', 'Upper', '.cache', '_tmp']) await mkdir(join(root, d));
    await writeFile(join(root, 'notes.txt'), '');
    const expected = [
      { name: 'textdir', uri: join(root, 'textdir') },
      { name: 'tiny', uri: join(root, 'tiny') },
    ];
    expect(await listModelFolders(root)).toEqual(expected);
    expect(await listModelFolders(pathToFileURL(root).href)).toEqual(expected);
  });

  it('a missing directory is not_found, naming it', async () => {
    await expect(listModelFolders(join(root, 'none'))).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining(join(root, 'none')),
    });
  });

  it('a gs:// repository is refused: repositories are local', async () => {
    await expect(listModelFolders('gs://bucket/models')).rejects.toMatchObject({ code: 'invalid_uri' });
  });
});

describe('modelFolder', () => {
  it("is the model's folder, existing or not, and refuses a name that is not a model name", () => {
    expect(modelFolder(root, 'tiny')).toEqual({ name: 'tiny', uri: join(root, 'tiny') });
    expect(() => modelFolder(root, '../etc')).toThrow(/not a model name/);
  });
});
