// Shared zod fields for the apps' env schemas, so each variable means the same everywhere.
import { z } from 'zod';

export const redisUrl = z.string().url().default('redis://127.0.0.1:6379');
export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
export const nonNegativeInt = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);
/** Prefix of every Redis key Alto writes; lets several fleets share one Redis. */
export const keyPrefix = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')
  .default('alto');
