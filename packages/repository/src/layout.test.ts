import { VERSION_NAME } from '@alto/protocol';
import { describe, expect, it } from 'vitest';
import { compareVersions, completeModelFile, formatOf, isVersionName, modelFileOf, versionFolder } from './layout.ts';
import { CheckpointError } from './source/errors.ts';

describe('completeModelFile (the completeness rule)', () => {
  it('a folder with a model file and no marker is complete, whatever else it holds', () => {
    expect(completeModelFile(['model.onnx'])).toBe('model.onnx');
    expect(completeModelFile(['config.json', 'model.onnx', 'README'])).toBe('model.onnx');
  });

  it('a folder without a model file is not complete', () => {
    expect(completeModelFile([])).toBeUndefined();
    expect(completeModelFile(['config.json', 'model.onnx.partial', 'weights.bin'])).toBeUndefined();
  });

  it('an XLA export (model.jax) completes a folder under the same rule; its params file alone does not', () => {
    expect(completeModelFile(['config.json', 'model.jax', 'params.npz'])).toBe('model.jax');
    expect(completeModelFile(['model.jax'])).toBe('model.jax');
    expect(completeModelFile(['params.safetensors', 'config.json'])).toBeUndefined();
    expect(completeModelFile(['_WRITING', 'model.jax', 'params.npz'])).toBeUndefined();
  });

  it('a _WRITING marker makes a folder incomplete even with its model file', () => {
    expect(completeModelFile(['_WRITING', 'model.onnx'])).toBeUndefined();
    expect(completeModelFile(['model.onnx', 'config.json', '_WRITING'])).toBeUndefined();
  });
});

describe('modelFileOf', () => {
  it('names the model file a listed uri points at, local or gs://', () => {
    expect(modelFileOf('gs://b/p/3/model.onnx')).toBe('model.onnx');
    expect(modelFileOf('/srv/models/m/3/model.onnx')).toBe('model.onnx');
    expect(modelFileOf('gs://b/p/3/model.jax')).toBe('model.jax');
  });

  it('the model file picks the executor: model.onnx runs on onnxruntime, model.jax on the XLA runtime', () => {
    expect(formatOf('/srv/models/m/3/model.onnx')).toBe('onnx');
    expect(formatOf('gs://b/p/3/model.jax')).toBe('xla');
  });

  it('refuses a uri that is not a checkpoint file, as invalid_uri', () => {
    expect(() => modelFileOf('/srv/models/m/3/config.json')).toThrow(CheckpointError);
    expect(() => modelFileOf('/srv/models/m/3/config.json')).toThrow(
      /not a checkpoint file \(expected one of model\.onnx, model\.jax, model\.sim\)/,
    );
  });
});

describe('version names', () => {
  it('the rule is the one of @alto/protocol that publishing and pinning apply', () => {
    for (const name of ['1', '10', 'v2', 'beta', '2024-01-01', 'a.b_c-d', 'A'.repeat(64)]) {
      expect(isVersionName(name), name).toBe(true);
      expect(VERSION_NAME.test(name), name).toBe(true);
    }
  });

  it('refuses names that are hidden, temporary, too long or could leave the base', () => {
    for (const name of ['', '.', '..', '.git', '_tmp', '-1', '../x', 'a/b', 'a b', 'A'.repeat(65), 'é']) {
      expect(isVersionName(name), name).toBe(false);
      expect(() => versionFolder('gs://b/m', name), name).toThrow(
        /is not a version name \(1-64 of A-Z a-z 0-9 \. _ -, starting with a letter or digit\)/,
      );
    }
    expect(versionFolder('gs://b/m', '7')).toBe('7');
  });
});

describe('compareVersions', () => {
  it('orders numeric names by value before the others, which go by name', () => {
    expect(['10', 'beta', '9', '100', 'alpha', '2'].sort(compareVersions)).toEqual([
      '2',
      '9',
      '10',
      '100',
      'alpha',
      'beta',
    ]);
  });
});
