// `alto drain <worker>`: move every model off a worker (replacements load first), then it
// finishes what it holds and unloads; `alto undrain <worker>` returns it to service.
import type { Command } from '../command.ts';
import { printJson } from '../command.ts';

const make = (name: 'drain' | 'undrain'): Command => ({
  name,
  summary:
    name === 'drain' ? 'move every model off a worker, availability-first' : 'return a drained worker to service',
  args: [{ name: 'worker' }],
  options: {},
  api: 'admin',
  async run({ args, client, io, json }) {
    const [id] = args as [string];
    const result = await client.admin<{ id: string; drained: boolean }>(
      name === 'drain' ? 'POST' : 'DELETE',
      `/workers/${encodeURIComponent(id)}/drain`,
    );
    if (json) printJson(io, result);
    else
      io.out(`${result.id} ${result.drained ? 'drained: its models move to other workers' : 'returned to service'}\n`);
    return 0;
  },
});

export const drain = make('drain');
export const undrain = make('undrain');
