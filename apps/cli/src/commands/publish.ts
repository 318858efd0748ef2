// `alto publish <name> <uri>`: ask the fleet to serve a model from a store URI.
import type { Command } from '../command.ts';
import { printJson } from '../command.ts';
import type { ModelView, PublishRequest } from '../views.ts';
import { SETTING_OPTIONS, settingsFromFlags } from './settings.ts';

export const publish: Command = {
  name: 'publish',
  summary: 'publish a model from a store URI',
  args: [{ name: 'name' }, { name: 'uri' }],
  options: SETTING_OPTIONS,
  api: 'admin',
  notes:
    'The URI is a model directory holding version subdirectories, e.g. gs://bucket/models/tiny or file:///srv/models/tiny.',
  async run({ args, flags, client, io, json }) {
    const [name, uri] = args as [string, string];
    const body: PublishRequest = { name, uri, ...settingsFromFlags(flags) };
    const model = await client.admin<ModelView>('POST', '/models', { body });
    if (json) printJson(io, model);
    else io.out(`published ${modelSummary(model)}\n`);
    return 0;
  },
};

/** `tiny: pending, 0/1 replicas ready, version latest`. */
export function modelSummary(m: ModelView): string {
  const state = m.status.reason ? `${m.status.state} (${m.status.reason})` : m.status.state;
  const version = m.version === null ? 'latest' : `${m.version} (pinned)`;
  return `${m.name}: ${state}, ${m.status.ready_replicas}/${m.replicas} replicas ready, version ${version}`;
}
