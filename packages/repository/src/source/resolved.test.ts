// Allowed roots on resolved paths: links out of a root, linked directory components and links
// swapped between publish and open are refused, naming the path they resolve to. Real files
// and symlinks in a temp folder.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError } from './errors.ts';
import { assertAllowedResolved, confineLocalFile, realPathOf } from './resolved.ts';

// realpath: the temp folder may itself lie behind a link (macOS /tmp).
const base = realpathSync(mkdtempSync(join(tmpdir(), 'alto-resolved-')));
const root = join(base, 'models');
const outside = join(base, 'outside');
mkdirSync(join(root, 'inside', '1'), { recursive: true });
mkdirSync(join(outside, 'm', '1'), { recursive: true });
writeFileSync(join(root, 'inside', '1', 'model.onnx'), 'inside');
writeFileSync(join(outside, 'm', '1', 'model.onnx'), 'outside');
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function refusal(p: Promise<unknown>): Promise<CheckpointError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CheckpointError);
  return err as CheckpointError;
}

describe('assertAllowedResolved', () => {
  it('allows a real folder under a root and returns its real path', async () => {
    await expect(assertAllowedResolved(join(root, 'inside'), [root])).resolves.toBe(join(root, 'inside'));
  });

  it('refuses a symlink out of the root, naming the path it resolves to', async () => {
    symlinkSync(join(outside, 'm'), join(root, 'escape'));
    const err = await refusal(assertAllowedResolved(join(root, 'escape'), [root]));
    expect(err.code).toBe('uri_not_allowed');
    expect(err.message).toContain(`resolves to ${join(outside, 'm')}`);
  });

  it('refuses a path through a symlinked directory component', async () => {
    symlinkSync(outside, join(root, 'dirlink'));
    const err = await refusal(assertAllowedResolved(join(root, 'dirlink', 'm', '1'), [root]));
    expect(err.code).toBe('uri_not_allowed');
    expect(err.message).toContain(join(outside, 'm', '1'));
  });

  it('resolves a path that does not exist yet through its deepest existing ancestor', async () => {
    expect(await realPathOf(join(root, 'dirlink', 'later', 'x'))).toBe(join(outside, 'later', 'x'));
    const err = await refusal(assertAllowedResolved(join(root, 'dirlink', 'later'), [root]));
    expect(err.message).toContain(join(outside, 'later'));
    await expect(assertAllowedResolved(join(root, 'not-yet'), [root])).resolves.toBe(join(root, 'not-yet'));
  });

  it('resolves the roots too: a root reached through a link allows what lies under its target', async () => {
    symlinkSync(root, join(base, 'models-link'));
    await expect(assertAllowedResolved(join(root, 'inside'), [join(base, 'models-link')])).resolves.toBe(
      join(root, 'inside'),
    );
  });

  it('keeps the lexical check for gs:// uris', async () => {
    await expect(assertAllowedResolved('gs://bkt/p/m', ['gs://bkt/p'])).resolves.toBe('gs://bkt/p/m');
    expect((await refusal(assertAllowedResolved('gs://bkt/q/m', ['gs://bkt/p']))).code).toBe('uri_not_allowed');
  });
});

describe('confineLocalFile', () => {
  it('returns the real path of a file under the root', async () => {
    const file = join(root, 'inside', '1', 'model.onnx');
    await expect(confineLocalFile(file, [root])).resolves.toBe(file);
  });

  it('refuses a version link swapped to point out of the root after it was allowed', async () => {
    const model = join(root, 'swapped');
    mkdirSync(model);
    symlinkSync(join(root, 'inside', '1'), join(model, '1'));
    const file = join(model, '1', 'model.onnx');
    // Allowed at publish time: the link leads inside.
    await expect(assertAllowedResolved(model, [root])).resolves.toBe(model);
    await expect(confineLocalFile(file, [root])).resolves.toBe(join(root, 'inside', '1', 'model.onnx'));
    // Swapped before the worker opens it.
    unlinkSync(join(model, '1'));
    symlinkSync(join(outside, 'm', '1'), join(model, '1'));
    const err = await refusal(confineLocalFile(file, [root]));
    expect(err.code).toBe('uri_not_allowed');
    expect(err.message).toContain(`resolves to ${join(outside, 'm', '1', 'model.onnx')}`);
  });

  it('refuses a file link that leads out of the root', async () => {
    const model = join(root, 'filelink', '1');
    mkdirSync(model, { recursive: true });
    symlinkSync(join(outside, 'm', '1', 'model.onnx'), join(model, 'model.onnx'));
    const err = await refusal(confineLocalFile(join(model, 'model.onnx'), [root]));
    expect(err.code).toBe('uri_not_allowed');
    expect(err.message).toContain(join(outside, 'm', '1', 'model.onnx'));
  });

  it('a missing file is not_found, naming its real path', async () => {
    const err = await refusal(confineLocalFile(join(root, 'inside', '1', 'gone.onnx'), [root]));
    expect(err.code).toBe('not_found');
  });
});
