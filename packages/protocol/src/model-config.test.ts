// The pipeline section of config.json: defaults filled in, misspellings refused.
import { describe, expect, it } from 'vitest';
import { ModelConfigSchema } from './model-config.ts';

describe('pipeline config', () => {
  it('fills the defaults of a minimal pipeline', () => {
    const c = ModelConfigSchema.parse({ pipeline: { tokenizer: {}, pooling: { mode: 'mean' } } });
    expect(c.pipeline).toEqual({
      tokenizer: { file: 'tokenizer.json', max_length: 512, input: 'text' },
      pooling: { mode: 'mean', normalize: false, input: 'last_hidden_state', output: 'embedding' },
    });
  });

  it('takes the contract MiniLM is built against', () => {
    const pipeline = {
      tokenizer: { file: 'tokenizer.json', max_length: 256, input: 'text' },
      pooling: { mode: 'mean', normalize: true, input: 'last_hidden_state', output: 'embedding' },
    };
    expect(ModelConfigSchema.parse({ format: 'onnx', max_batch_size: 32, pipeline }).pipeline).toEqual(pipeline);
  });

  it('refuses unknown fields and modes, and a tokenizer file outside the version folder', () => {
    const issues = (v: unknown) => ModelConfigSchema.safeParse(v).error?.issues.map((i) => i.path.join('.'));
    expect(issues({ pipeline: { tokenizer: {}, pooling: { mode: 'max' } } })).toEqual(['pipeline.pooling.mode']);
    expect(issues({ pipeline: { tokenizer: { max_len: 3 } } })).toEqual(['pipeline.tokenizer']);
    expect(issues({ pipeline: { tokenizer: { file: '../x.json' } } })).toEqual(['pipeline.tokenizer.file']);
    expect(issues({ pipeline: { pooling: { mode: 'cls' } } })).toEqual(['pipeline.tokenizer']);
  });
});
