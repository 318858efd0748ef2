// `alto whoami` names the admin token that acts (its name and scope); `alto audit` lists the
// audit log of state-changing admin actions, newest first.
import type { Command } from '../command.ts';
import { printJson } from '../command.ts';
import { ago, renderTable } from '../table.ts';
import type { AuditList, Whoami } from '../views.ts';

export const whoami: Command = {
  name: 'whoami',
  summary: 'name the admin token that acts, and its scope',
  args: [],
  options: {},
  api: 'admin',
  async run({ client, io, json }) {
    const me = await client.admin<Whoami>('GET', '/whoami');
    if (json) printJson(io, me);
    else io.out(`admin token '${me.name}' (${me.scope}) at ${client.url}\n`);
    return 0;
  },
};

/** What an event changed, in one short line. */
function change(before: unknown, after: unknown): string {
  const show = (v: unknown) => (v === null || v === undefined ? '-' : JSON.stringify(v));
  const text = `${show(before)} -> ${show(after)}`;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export const audit: Command = {
  name: 'audit',
  summary: 'list the audit log of admin actions, newest first',
  args: [],
  options: {
    limit: { kind: 'string', value: 'N', help: 'at most N events (1-1000, default 100)' },
    before: { kind: 'string', value: 'ID', help: 'events older than this one (the last ID of a previous page)' },
  },
  api: 'admin',
  async run({ flags, client, io, json }) {
    const query = new URLSearchParams();
    const limit = flags.string('limit');
    const before = flags.string('before');
    if (limit !== undefined) query.set('limit', limit);
    if (before !== undefined) query.set('before', before);
    const q = query.size > 0 ? `?${query.toString()}` : '';
    const list = await client.admin<AuditList>('GET', `/audit${q}`);
    if (json) printJson(io, list);
    else if (list.events.length === 0) io.out('no audit events\n');
    else {
      const rows = list.events.map((e) => [
        e.id,
        ago(e.at),
        e.actor,
        e.action,
        e.target,
        e.source,
        change(e.before, e.after),
      ]);
      io.out(renderTable(['ID', 'WHEN', 'ACTOR', 'ACTION', 'TARGET', 'FROM', 'CHANGE'], rows));
      if (list.next) io.out(`(older: alto audit --before ${list.next})\n`);
    }
    return 0;
  },
};
