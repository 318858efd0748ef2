// The create body's refusals name the field with what was expected and what came.
import { describe, expect, it } from 'vitest';
import { BatchCreateSchema } from './schemas.ts';

const ok = { model: 'tiny', input_uri: 'gs://b/in.jsonl', output_uri: 'gs://b/out/' };
const issue = (body: unknown) => {
  const r = BatchCreateSchema.safeParse(body);
  return r.success ? undefined : { path: r.error.issues[0]!.path.join('.'), message: r.error.issues[0]!.message };
};

describe('BatchCreateSchema', () => {
  it('takes the three fields, low priority by default', () => {
    expect(BatchCreateSchema.parse(ok)).toEqual({ ...ok, priority: 'low' });
  });

  it('names a bad model name and what came', () => {
    expect(issue({ ...ok, model: 'Bad Name' })).toMatchObject({
      path: 'model',
      message: expect.stringContaining('"Bad Name"'),
    });
  });

  it('refuses a webhook that is not http(s), and unknown fields', () => {
    expect(issue({ ...ok, webhook: 'ftp://x/y' })).toMatchObject({
      path: 'webhook',
      message: expect.stringContaining('http://'),
    });
    expect(issue({ ...ok, extra: 1 })?.message).toContain('extra');
  });

  it('names a missing field', () => {
    expect(issue({ model: 'tiny', input_uri: 'x' })?.path).toBe('output_uri');
  });
});
