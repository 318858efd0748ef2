// The audit log of admin actions: one entry per state-changing action (who, what, when, from
// where, before / after) in a capped Redis stream under `{control}`, and the same event in
// the process log. appendAudit is the one way in, for the admin API's actions and for any
// later one (API keys created or revoked); readAudit pages through it, newest first.
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const AUDIT_ACTIONS = [
  'model.publish',
  'model.update',
  'model.unpublish',
  'worker.drain',
  'worker.undrain',
  'dead_letters.replay',
  'key.create',
  'key.revoke',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One audited action, as appendAudit takes it. */
export interface AuditInput {
  /** The admin token's name (or, for actions not made through the admin API, who made them). */
  actor: string;
  action: AuditAction;
  /** What it acted on: a model's name, a worker's id, a key's id. */
  target: string;
  /** The client's address, as the admin API saw it. */
  source: string;
  /** The record before and after the action; null where there was none. */
  before: unknown;
  after: unknown;
}

export const AuditEventSchema = z.object({
  id: z.string().describe('Id of the entry in the audit stream; pass as `before` for the next page.'),
  at: z.iso.datetime(),
  actor: z.string().describe("The admin token's name."),
  action: z.enum(AUDIT_ACTIONS),
  target: z.string(),
  source: z.string().describe("The client's address."),
  before: z.unknown().describe('The record before the action, or null.'),
  after: z.unknown().describe('The record after the action, or null.'),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;

export const AuditListSchema = z.object({
  events: z.array(AuditEventSchema).describe('Newest first.'),
  next: z.string().nullable().describe('Pass as `before` for older events; null on the last page.'),
});
export type AuditList = z.infer<typeof AuditListSchema>;

/** The part of a logger appendAudit writes to (pino fits). */
export interface AuditLog {
  info(fields: object, message: string): void;
}

export interface AuditOptions {
  /** The audit stream's key (ControlKeys.audit). */
  key: string;
  log: AuditLog;
  /** Entries kept, about (XADD MAXLEN ~). @default 100_000 */
  maxEvents?: number;
}

/** Appends one event to the audit stream and the log; returns its stream id. */
export async function appendAudit(redis: Redis, e: AuditInput, o: AuditOptions): Promise<string> {
  const at = new Date().toISOString();
  const fields = ['at', at, 'actor', e.actor, 'action', e.action, 'target', e.target, 'source', e.source];
  fields.push('before', JSON.stringify(e.before ?? null), 'after', JSON.stringify(e.after ?? null));
  const id = (await redis.xadd(o.key, 'MAXLEN', '~', String(o.maxEvents ?? 100_000), '*', ...fields))!;
  o.log.info({ audit: { id, at, ...e } }, `audit: ${e.action} ${e.target} by ${e.actor}`);
  return id;
}

const STREAM_ID = /^\d+-\d+$/;

/** Up to `limit` events, newest first, older than the entry `before` when given. */
export async function readAudit(redis: Redis, key: string, limit: number, before?: string): Promise<AuditList> {
  if (before !== undefined && !STREAM_ID.test(before))
    throw new Error(`before: expected a stream entry id like 1700000000000-0, got '${before}'`);
  const rows = await redis.xrevrange(key, before === undefined ? '+' : `(${before}`, '-', 'COUNT', limit);
  const events = rows.map(([id, flat]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
    return {
      id,
      at: f.at!,
      actor: f.actor!,
      action: f.action as AuditAction,
      target: f.target!,
      source: f.source!,
      before: JSON.parse(f.before ?? 'null') as unknown,
      after: JSON.parse(f.after ?? 'null') as unknown,
    };
  });
  return { events, next: events.length === limit ? events.at(-1)!.id : null };
}
