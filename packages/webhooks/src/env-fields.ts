// zod fields for the webhook settings of the apps' env schemas (gateway, dispatcher), so each
// variable means the same everywhere. The secret is not among them: parseEnv quotes a bad
// value in its message, and a secret must not be printed; see parseSecrets.
import { z } from 'zod';
import { parseAllowList } from './address-policy.ts';
import { DEFAULT_RETRY_SCHEDULE, parseSchedule } from './schedule.ts';

const parsed =
  <T>(parse: (s: string) => T) =>
  (text: string, ctx: z.RefinementCtx): T => {
    try {
      return parse(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  };

/** ALTO_WEBHOOK_ALLOW_CIDRS: internal addresses deliveries may go to anyway (e.g. 10.1.0.0/16, ::1). */
export const allowCidrsField = z.string().default('').transform(parsed(parseAllowList));

/** ALTO_WEBHOOK_RETRY_SCHEDULE: the delay before each attempt, comma-separated. */
export const retryScheduleField = z.string().default(DEFAULT_RETRY_SCHEDULE).transform(parsed(parseSchedule));
