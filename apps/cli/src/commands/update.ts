// `alto update <name>`: change how a published model is served. Only the given fields are sent.
import type { Command } from '../command.ts';
import { printJson } from '../command.ts';
import { usageError } from '../exit.ts';
import type { ModelView, UpdateRequest } from '../views.ts';
import { modelSummary } from './publish.ts';
import { SETTING_OPTIONS, settingsFromFlags } from './settings.ts';

export const update: Command = {
  name: 'update',
  summary: "change a published model's replicas, version or serving settings",
  args: [{ name: 'name' }],
  options: {
    ...SETTING_OPTIONS,
    latest: { kind: 'boolean', help: 'unpin: follow the newest complete version again' },
  },
  api: 'admin',
  async run({ args, flags, client, io, json }) {
    const [name] = args as [string];
    const body = updateRequest(flags);
    const model = await client.admin<ModelView>('PATCH', `/models/${encodeURIComponent(name)}`, { body });
    if (json) printJson(io, model);
    else io.out(`updated ${modelSummary(model)}\n`);
    return 0;
  },
};

export function updateRequest(flags: Parameters<typeof settingsFromFlags>[0]): UpdateRequest {
  const body: UpdateRequest = settingsFromFlags(flags);
  if (flags.bool('latest')) {
    if (body.version !== undefined) throw usageError('give --version or --latest, not both');
    body.version = null;
  }
  if (Object.keys(body).length === 0) {
    const names = Object.keys(update.options).map((o) => `--${o}`);
    throw usageError(`nothing to update: give at least one of ${names.join(', ')}`);
  }
  return body;
}
