// The fleet at a glance: models with their live numbers and charts, workers, the publisher
// leader and the autoscaling signal.
import { api } from './api.ts';
import { Chart, LATENCY_CHART, RATE_CHART } from './charts.ts';
import { badge, fill, fmt, h, table } from './dom.ts';
import type { AdminModel, AdminWorker, Sample, Scaling, Stats } from './types.ts';

const last = (s: Sample[] | undefined) => s?.[s.length - 1];
const sum = (s: Sample[] | undefined, f: (x: Sample) => number) => (s ?? []).reduce((a, x) => a + f(x), 0);
/** The newest non-null value of a measure. */
const latest = (s: Sample[] | undefined, f: (x: Sample) => number | null) => {
  for (let i = (s ?? []).length - 1; i >= 0; i--) {
    const v = f(s![i]!);
    if (v !== null) return v;
  }
  return null;
};

const progress = (p?: { done: number; total: number }) =>
  p && p.total > 0 ? ` ${Math.round((100 * p.done) / p.total)}%` : '';

/** The serving version, `1 → 2` while a rollout moves to another, and how many are complete. */
const rollout = (m: AdminModel) => {
  const { serving_version: serving, target_version: target, versions } = m.status;
  const now = serving && target && serving !== target ? `${serving} → ${target}` : (serving ?? target ?? '–');
  return `${now} (${versions.length} complete)`;
};

export function overviewPage(root: HTMLElement) {
  const fleet = h('section', { 'aria-labelledby': 'fleet-h' });
  const models = h('section', { 'aria-labelledby': 'models-h' });
  const workers = h('section', { 'aria-labelledby': 'workers-h' });
  const modelsBody = h('div');
  const workersBody = h('div');
  fill(
    root,
    h('h1', {}, 'Fleet overview'),
    fleet,
    h('h2', { id: 'models-h' }, 'Models'),
    models,
    h('h2', { id: 'workers-h' }, 'Workers'),
    workers,
  );
  models.append(modelsBody);
  workers.append(workersBody);
  const charts = new Map<string, [Chart, Chart]>();

  return async () => {
    const [m, w, stats, scaling] = await Promise.all([
      api<{ models: AdminModel[] }>('/admin/models'),
      api<{ workers: AdminWorker[] }>('/admin/workers'),
      api<Stats>('/stats'),
      api<Scaling>('/admin/scaling').catch(() => undefined),
    ]);
    fill(
      fleet,
      h('h2', { id: 'fleet-h', class: 'visually-hidden' }, 'Control plane'),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Publisher leader'),
        h('dd', { 'data-testid': 'leader' }, stats.leader ?? 'none (no publisher holds the lease)'),
        h('dt', {}, 'Models'),
        h('dd', {}, m.models.length),
        h('dt', {}, 'Live workers'),
        h('dd', {}, w.workers.filter((x) => x.alive).length),
        scaling && scaling.pools.length > 0
          ? [
              h('dt', {}, 'Autoscaling'),
              h(
                'dd',
                {},
                scaling.pools
                  .map((p) => `${p.pool}: ${p.current_workers} → ${p.desired_workers} workers (backlog ${p.backlog})`)
                  .join('; '),
              ),
            ]
          : null,
      ),
    );
    const rows = m.models.map((model) => {
      const s = stats.series[model.name];
      const now = last(s);
      let pair = charts.get(model.name);
      if (!pair) charts.set(model.name, (pair = [new Chart(RATE_CHART), new Chart(LATENCY_CHART)]));
      pair[0].update(s ?? []);
      pair[1].update(s ?? []);
      return [
        h('a', { href: `#/models/${encodeURIComponent(model.name)}` }, model.name),
        badge(model.status.state),
        rollout(model),
        `${model.status.ready_replicas}/${model.replicas}`,
        now ? `${now.depth.high} / ${now.depth.normal} / ${now.depth.low}` : '–',
        `${fmt.num(now?.arrivals)} / ${fmt.num(now?.completions)}`,
        `${fmt.ms(latest(s, (x) => x.p50))} / ${fmt.ms(latest(s, (x) => x.p99))}`,
        String(sum(s, (x) => x.errors)),
        pair[0].el,
        pair[1].el,
      ];
    });
    fill(
      modelsBody,
      table(
        'Published models',
        [
          'Model',
          'State',
          'Version (rollout)',
          'Ready/requested',
          'Queue high/normal/low',
          'Arrivals/completions per s',
          'p50 / p99',
          'Errors (15 min)',
          'Rate',
          'Latency',
        ],
        rows,
        'nothing is published.',
      ),
    );
    fill(
      workersBody,
      table(
        'Workers',
        ['Worker', 'State', 'Accelerator', 'Devices', 'Memory', 'Models', 'In flight', 'Last heartbeat'],
        w.workers.map((x) => [
          x.id,
          h('span', {}, badge(x.alive ? x.state : 'lost'), x.drained ? badge('drained') : null),
          x.accelerator,
          x.devices.map((d) => `${d.kind}${d.count ? ` ×${d.count}` : ''}`).join(', ') || '–',
          `${fmt.bytes(x.memory_used_bytes)} / ${fmt.bytes(x.memory_bytes)}`,
          h(
            'ul',
            { class: 'plain' },
            x.models.map((mm) => h('li', {}, `${mm.name}@${mm.version} `, badge(mm.state), progress(mm.progress))),
          ),
          x.inflight,
          fmt.ago(x.last_seen),
        ]),
        'no worker has reported.',
      ),
    );
  };
}
