// `alto ls [model]`: the published models as a table, or one model in detail with the
// workers that hold it.
import { formatBytes } from '../bytes.ts';
import type { Command } from '../command.ts';
import { printJson } from '../command.ts';
import { percent, renderFields, renderTable } from '../table.ts';
import type { ModelView } from '../views.ts';

export const ls: Command = {
  name: 'ls',
  summary: 'list published models, or show one in detail',
  args: [{ name: 'model', optional: true }],
  options: {},
  api: 'admin',
  async run({ args, client, io, json }) {
    const [name] = args;
    if (name !== undefined) {
      const model = await client.admin<ModelView>('GET', `/models/${encodeURIComponent(name)}`);
      if (json) printJson(io, model);
      else io.out(modelDetails(model));
      return 0;
    }
    const body = await client.admin<{ models: ModelView[] }>('GET', '/models');
    if (json) printJson(io, body);
    else io.out(body.models.length ? modelsTable(body.models) : 'no models published\n');
    return 0;
  },
};

/** `2` when serving what it should; `2 / 3` while moving from 2 to 3. */
export function versionCell(status: ModelView['status']): string {
  const { serving_version: serving, target_version: target } = status;
  if (!target || target === serving) return serving ?? '-';
  return `${serving ?? '-'} / ${target}`;
}

export function modelsTable(models: readonly ModelView[]): string {
  const rows = [...models]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => [
      m.name,
      versionCell(m.status),
      `${m.status.ready_replicas}/${m.replicas}`,
      m.status.state,
      m.status.reason ?? m.status.error ?? '-',
      m.uri,
    ]);
  return renderTable(['NAME', 'VERSION', 'REPLICAS', 'STATE', 'REASON', 'URI'], rows);
}

const listed = (parts: (string | undefined)[]) => parts.filter(Boolean).join(', ') || '-';
const field = (name: string, value: number | undefined) => (value === undefined ? undefined : `${name} ${value}`);

export function modelDetails(m: ModelView): string {
  const s = m.status;
  const constraints = Object.entries(m.constraints ?? {}).map(([k, v]) => `${k}=${v}`);
  const pairs: [string, string][] = [
    ['name', m.name],
    ['uri', m.uri],
    ['state', s.reason ? `${s.state} (${s.reason})` : s.state],
    ...(s.error ? [['error', s.error] as [string, string]] : []),
    ['version', m.version === null ? 'latest' : `${m.version} (pinned)`],
    ['serving', s.serving_version ?? '-'],
    ['target', s.target_version ?? '-'],
    ['in store', s.versions.length ? s.versions.join(', ') : 'no complete version'],
    ['replicas', `${s.ready_replicas} ready / ${m.replicas} requested`],
    [
      'batching',
      listed([field('max_batch_size', m.max_batch_size), field('max_queue_delay_ms', m.max_queue_delay_ms)]),
    ],
    ['queue', listed([field('max_queue_length', m.max_queue_length), field('timeout_ms', m.timeout_ms)])],
    ['memory', m.memory_bytes === undefined ? '-' : `${formatBytes(m.memory_bytes)} (${m.memory_bytes} bytes)`],
    ['constraints', constraints.length ? constraints.join(', ') : 'none'],
    ['runtime', s.runtime ?? '-'],
    ['execution provider', m.execution_provider ?? '-'],
    ['created', m.created_at],
    ['updated', m.updated_at],
  ];
  let out = renderFields(pairs);
  if (!m.workers.length) return `${out}\nno worker holds it\n`;
  const withErrors = m.workers.some((w) => w.error);
  const rows = [...m.workers]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((w) => [w.id, w.version, w.state, percent(w.progress) ?? '-', ...(withErrors ? [w.error ?? '-'] : [])]);
  out += `\n${renderTable(['WORKER', 'VERSION', 'STATE', 'PROGRESS', ...(withErrors ? ['ERROR'] : [])], rows)}`;
  return out;
}
