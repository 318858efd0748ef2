// The query of GET /v1/predictions, checked: model, status, limit (1–100) and cursor.
import { AltoError, STATUSES, type Status } from '@alto/protocol';
import type { ListOptions } from '@alto/queue';

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

const bad = (name: string, message: string) => new AltoError('invalid_input', `query parameter '${name}': ${message}`);

export function listQuery(q: Record<string, string>): ListOptions {
  const known = ['model', 'status', 'limit', 'cursor'];
  for (const name of Object.keys(q)) {
    if (!known.includes(name)) throw bad(name, `unknown; expected one of ${known.join(', ')}`);
  }
  let limit = DEFAULT_LIST_LIMIT;
  if (q.limit !== undefined) {
    limit = /^\d{1,4}$/.test(q.limit) ? Number(q.limit) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_LIST_LIMIT)) throw bad('limit', `expected an integer from 1 to ${MAX_LIST_LIMIT}, got '${q.limit}'`);
  }
  if (q.status !== undefined && !(STATUSES as readonly string[]).includes(q.status)) {
    throw bad('status', `expected one of ${STATUSES.join(', ')}, got '${q.status}'`);
  }
  if (q.model !== undefined && q.model === '') throw bad('model', 'expected a model name, got an empty value');
  if (q.cursor !== undefined && q.cursor === '') throw bad('cursor', 'expected the next_cursor of a previous page, got an empty value');
  return {
    limit,
    ...(q.model !== undefined ? { model: q.model } : {}),
    ...(q.status !== undefined ? { status: q.status as Status } : {}),
    ...(q.cursor !== undefined ? { after: q.cursor } : {}),
  };
}
