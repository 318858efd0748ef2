// `alto unpublish <name>`: stop serving a model. Predictions still queued for it fail.
import type { Command } from '../command.ts';
import { printJson } from '../command.ts';
import type { UnpublishResult } from '../views.ts';

export const unpublish: Command = {
  name: 'unpublish',
  summary: 'stop serving a model; its queued predictions fail',
  args: [{ name: 'name' }],
  options: {},
  api: 'admin',
  async run({ args, client, io, json }) {
    const [name] = args as [string];
    const result = await client.admin<UnpublishResult>('DELETE', `/models/${encodeURIComponent(name)}`);
    if (json) printJson(io, result);
    else {
      const n = result.failed_queued;
      io.out(`unpublished ${result.name}${n ? `; ${n} queued prediction${n === 1 ? '' : 's'} failed` : ''}\n`);
    }
    return 0;
  },
};
