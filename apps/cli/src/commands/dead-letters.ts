// `alto dead-letters <model>` lists requests dead-lettered as poison; `alto replay <model>`
// queues them again (same prediction ids) once their cause is fixed.
import type { Command } from '../command.ts';
import type { DeadLetterList, ReplayResult } from '../views.ts';
import { printJson } from '../command.ts';
import { ago, renderTable } from '../table.ts';

export const deadLetters: Command = {
  name: 'dead-letters',
  summary: "list a model's dead-lettered (poison) requests",
  args: [{ name: 'model' }],
  options: { limit: { kind: 'string', value: 'N', help: 'at most N entries (1-1000, default 100)' } },
  api: 'admin',
  async run({ args, flags, client, io, json }) {
    const [model] = args as [string];
    const limit = flags.string('limit');
    const query = limit === undefined ? '' : `?limit=${encodeURIComponent(limit)}`;
    const list = await client.admin<DeadLetterList>('GET', `/models/${encodeURIComponent(model)}/dead-letters${query}`);
    if (json) printJson(io, list);
    else if (list.count === 0) io.out(`no dead letters for ${model}\n`);
    else {
      const rows = list.dead_letters.map((d) => [
        d.entry,
        d.prediction_id,
        d.version,
        String(d.deliveries),
        ago(d.dead_at),
      ]);
      io.out(renderTable(['ENTRY', 'PREDICTION', 'VERSION', 'DELIVERIES', 'DEAD'], rows));
      if (list.count > rows.length) io.out(`(${list.count - rows.length} more)\n`);
    }
    return 0;
  },
};

export const replay: Command = {
  name: 'replay',
  summary: 'queue dead-lettered requests again (all, or the entries given)',
  args: [{ name: 'model' }],
  options: {
    entry: {
      kind: 'string',
      multiple: true,
      value: 'ID',
      help: 'replay only this entry (repeatable); see alto dead-letters',
    },
  },
  api: 'admin',
  async run({ args, flags, client, io, json }) {
    const [model] = args as [string];
    const entries = flags.list('entry');
    const body = entries.length > 0 ? { entries } : {};
    const result = await client.admin<ReplayResult>(
      'POST',
      `/models/${encodeURIComponent(model)}/dead-letters/replay`,
      { body },
    );
    const n = result.replayed.length;
    if (json) printJson(io, result);
    else io.out(`replayed ${n} request${n === 1 ? '' : 's'}${n ? `: ${result.replayed.join(', ')}` : ''}\n`);
    return 0;
  },
};
