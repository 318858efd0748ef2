// Managed API keys: name, owner, last use, limits, and usage per model where the publisher reports it.
import { ApiError, api } from './api.ts';
import { fill, fmt, h, table } from './dom.ts';
import type { ApiKey } from './types.ts';

const usage = (u: ApiKey['usage']) => {
  if (!u) return '–';
  const models = new Set([...Object.keys(u.predictions ?? {}), ...Object.keys(u.compute_seconds ?? {})]);
  if (models.size === 0) return 'none';
  return h(
    'ul',
    { class: 'plain' },
    [...models]
      .sort()
      .map((m) =>
        h(
          'li',
          {},
          `${m}: ${u.predictions?.[m] ?? 0} predictions, ${fmt.num(u.compute_seconds?.[m] ?? 0, 2)} s compute`,
        ),
      ),
  );
};

export function keysPage(root: HTMLElement) {
  const body = h('div');
  fill(root, h('h1', {}, 'API keys'), body);
  return async () => {
    let keys: ApiKey[];
    try {
      keys = (await api<{ keys: ApiKey[] }>('/admin/keys')).keys;
    } catch (err) {
      if (err instanceof ApiError && err.status !== 0) {
        fill(body, h('p', {}, `Managed API keys are not available: ${err.message}`));
        return;
      }
      throw err;
    }
    fill(
      body,
      table(
        'Managed API keys',
        ['Name', 'Id', 'Owner', 'Created', 'Last used', 'Models', 'Rate/s', 'Burst', 'Max queued', 'Revoked', 'Usage'],
        keys.map((k) => [
          k.name,
          h('code', {}, k.id),
          h('code', {}, k.owner),
          fmt.time(k.created_at),
          fmt.ago(k.last_used),
          k.models?.join(', ') ?? 'all',
          k.rate ?? '∞',
          k.burst ?? '–',
          k.max_queued ?? '∞',
          k.revoked_at ? fmt.time(k.revoked_at) : 'no',
          usage(k.usage),
        ]),
        'none (`alto keys create` makes one).',
      ),
    );
  };
}
