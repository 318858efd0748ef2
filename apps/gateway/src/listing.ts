// The query of GET /v1/predictions: model, status, limit (1–100) and cursor. One zod schema
// documents it (routes.ts) and checks it (the route's validator); `queryError` words a
// refusal the way every other 400 of the API is worded, naming the parameter.
import { AltoError, STATUSES } from '@alto/protocol';
import type { ListOptions } from '@alto/queue';
import { z } from '@hono/zod-openapi';

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

const KNOWN = ['model', 'status', 'limit', 'cursor'] as const;
const got = (issue: { input?: unknown }) => `got '${String(issue.input)}'`;
const limitError = (issue: { input?: unknown }) => `expected an integer from 1 to ${MAX_LIST_LIMIT}, ${got(issue)}`;

export const ListQuerySchema = z.strictObject(
  {
    model: z
      .string()
      .min(1, { error: 'expected a model name, got an empty value' })
      .optional()
      .openapi({ description: "Only this model's predictions." }),
    status: z
      .enum(STATUSES, { error: (issue) => `expected one of ${STATUSES.join(', ')}, ${got(issue)}` })
      .optional()
      .openapi({ description: 'Only predictions in this status.' }),
    limit: z
      .string({ error: limitError })
      .regex(/^\d{1,4}$/, { error: limitError })
      .transform(Number)
      .pipe(
        z.number().int({ error: limitError }).min(1, { error: limitError }).max(MAX_LIST_LIMIT, { error: limitError }),
      )
      .optional()
      // The wire form is text; what it must spell is an integer in range.
      .openapi({
        type: 'integer',
        minimum: 1,
        maximum: MAX_LIST_LIMIT,
        default: DEFAULT_LIST_LIMIT,
        description: 'Most predictions in the page.',
      }),
    cursor: z
      .string()
      .min(1, { error: 'expected the next_cursor of a previous page, got an empty value' })
      .optional()
      .openapi({ description: "The previous page's `next_cursor`." }),
  },
  { error: `unknown; expected one of ${KNOWN.join(', ')}` },
);

export type ListQuery = z.infer<typeof ListQuerySchema>;

/** The refusal of a query the schema does not accept: an unknown parameter first, then in KNOWN's order. */
export function queryError(error: z.ZodError): AltoError {
  const rank = (i: z.core.$ZodIssue) =>
    i.code === 'unrecognized_keys' ? -1 : KNOWN.indexOf(i.path[0] as (typeof KNOWN)[number]);
  const issue = [...error.issues].sort((a, b) => rank(a) - rank(b))[0]!;
  const name = issue.code === 'unrecognized_keys' ? issue.keys[0]! : String(issue.path[0] ?? 'query');
  return new AltoError('invalid_input', `query parameter '${name}': ${issue.message}`);
}

export function listOptions(q: ListQuery): ListOptions {
  return {
    limit: q.limit ?? DEFAULT_LIST_LIMIT,
    ...(q.model !== undefined ? { model: q.model } : {}),
    ...(q.status !== undefined ? { status: q.status } : {}),
    ...(q.cursor !== undefined ? { after: q.cursor } : {}),
  };
}
