import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, parseEnv } from './parse-env.ts';

const schema = z.object({
  ALTO_PORT: z.coerce.number().int().default(8080),
  ALTO_MAX_BODY_BYTES: z.coerce.number().int().positive().default(16),
});

describe('parseEnv', () => {
  it('applies defaults and coerces values', () => {
    expect(parseEnv(schema, { ALTO_PORT: '9000' })).toEqual({ ALTO_PORT: 9000, ALTO_MAX_BODY_BYTES: 16 });
  });

  it('rejects an unknown ALTO_ variable naming the closest valid one', () => {
    expect(() => parseEnv(schema, { ALTO_MAX_BODY_BYTE: '1' })).toThrow(
      /unknown variable ALTO_MAX_BODY_BYTE \(did you mean ALTO_MAX_BODY_BYTES\?\)/,
    );
  });

  it('reports an invalid value with the variable name and what was given', () => {
    try {
      parseEnv(schema, { ALTO_MAX_BODY_BYTES: '-3' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems[0]).toMatch(/^ALTO_MAX_BODY_BYTES: .*\(got '-3'\)$/);
    }
  });

  it('ignores variables outside the prefix and treats empty strings as unset', () => {
    expect(parseEnv(schema, { HOME: '/root', ALTO_PORT: '' })).toEqual({ ALTO_PORT: 8080, ALTO_MAX_BODY_BYTES: 16 });
  });
});
