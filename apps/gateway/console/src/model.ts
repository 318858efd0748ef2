// One model: its settings, versions and rollout, the workers holding it, recent predictions,
// dead letters (with replay), and the update and unpublish actions; once unpublished, a
// publish form holding its last settings.
import type { ApiError } from './api.ts';
import { api } from './api.ts';
import { Chart, DEPTH_CHART, LATENCY_CHART, RATE_CHART } from './charts.ts';
import { badge, fill, fmt, h, table } from './dom.ts';
import { settingsForm } from './forms.ts';
import type { AdminModel, DeadLetter, Prediction, Stats } from './types.ts';

const SETTINGS = [
  'uri',
  'replicas',
  'version',
  'max_batch_size',
  'max_queue_delay_ms',
  'max_queue_length',
  'timeout_ms',
  'memory_bytes',
];

export function modelPage(root: HTMLElement, name: string, canWrite: boolean) {
  const head = h('div');
  const live = h('div', { class: 'charts' });
  const config = h('section', { 'aria-labelledby': 'cfg-h' });
  const rollout = h('section', { 'aria-labelledby': 'roll-h' });
  const recent = h('section', { 'aria-labelledby': 'recent-h' });
  const dead = h('section', { 'aria-labelledby': 'dead-h' });
  const actions = h('section', { 'aria-labelledby': 'act-h' });
  const message = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  fill(root, h('h1', {}, 'Model ', h('code', {}, name)), message, head, live, config, rollout, recent, dead, actions);
  const charts = [new Chart(RATE_CHART, 300, 90), new Chart(LATENCY_CHART, 300, 90), new Chart(DEPTH_CHART, 300, 90)];
  live.append(...charts.map((c) => c.el));
  let lastSpec: AdminModel | undefined;
  let shown: 'published' | 'unpublished' | undefined;

  const showActions = (m: AdminModel | undefined) => {
    const now = m ? 'published' : 'unpublished';
    if (shown === now) return;
    shown = now;
    if (!canWrite) {
      fill(actions, h('h2', { id: 'act-h' }, 'Actions'), h('p', {}, 'This token is read-only: no action is offered.'));
      return;
    }
    if (m) {
      const unpublish = h('button', { type: 'button', class: 'danger' }, `Unpublish ${name}`);
      unpublish.addEventListener('click', () => {
        if (!confirm(`Unpublish ${name}? Queued predictions fail with model_unpublished.`)) return;
        api<{ failed_queued: number }>(`/admin/models/${encodeURIComponent(name)}`, { method: 'DELETE' }).then(
          (r) => (message.textContent = `Unpublished ${name} (${r.failed_queued} queued predictions failed).`),
          (err: ApiError) => (message.textContent = `${err.code}: ${err.message}`),
        );
      });
      fill(
        actions,
        h('h2', { id: 'act-h' }, 'Actions'),
        settingsForm(m, () => {}),
        h('div', { class: 'danger-zone' }, unpublish),
      );
    } else {
      fill(
        actions,
        h('h2', { id: 'act-h' }, 'Actions'),
        settingsForm(undefined, (p) => (message.textContent = `Published ${p.name}.`), lastSpec),
      );
    }
  };

  return async () => {
    const [m, stats, preds, dl] = await Promise.all([
      api<AdminModel>(`/admin/models/${encodeURIComponent(name)}`).catch((err: ApiError) => {
        if (err.code === 'model_not_found') return undefined;
        throw err;
      }),
      api<Stats>('/stats'),
      api<{ predictions: Prediction[] }>(`/models/${encodeURIComponent(name)}/predictions`),
      api<{ count: number; dead_letters: DeadLetter[] }>(
        `/admin/models/${encodeURIComponent(name)}/dead-letters?limit=50`,
      ).catch(() => ({ count: 0, dead_letters: [] })),
    ]);
    const s = stats.series[name] ?? [];
    for (const c of charts) c.update(s);
    if (m) lastSpec = m;
    fill(
      head,
      m
        ? h(
            'p',
            {},
            badge(m.status.state),
            ' ',
            m.status.reason ?? '',
            ` · ${m.status.ready_replicas}/${m.replicas} replicas ready`,
          )
        : h('p', { class: 'alert', role: 'alert' }, `${name} is not published.`),
    );
    fill(
      config,
      h('h2', { id: 'cfg-h' }, 'Configuration'),
      m
        ? h(
            'dl',
            { class: 'facts' },
            SETTINGS.filter((k) => m[k] !== undefined).map((k) => [
              h('dt', {}, k),
              h('dd', {}, m[k] === null ? 'latest' : String(m[k])),
            ]),
            h('dt', {}, 'constraints'),
            h(
              'dd',
              {},
              Object.entries(m.constraints ?? {})
                .map(([k, v]) => `${k}=${v}`)
                .join(', ') || 'none',
            ),
            h('dt', {}, 'updated'),
            h('dd', {}, fmt.ago(m.updated_at)),
          )
        : h('p', {}, '–'),
    );
    fill(
      rollout,
      h('h2', { id: 'roll-h' }, 'Versions and rollout'),
      m
        ? h(
            'dl',
            { class: 'facts' },
            h('dt', {}, 'serving'),
            h('dd', {}, m.status.serving_version ?? 'none yet'),
            h('dt', {}, 'target'),
            h('dd', {}, m.status.target_version ?? '–'),
            h('dt', {}, 'complete versions'),
            h('dd', {}, m.status.versions.join(', ') || 'none'),
            m.status.error ? [h('dt', {}, 'error'), h('dd', {}, m.status.error)] : null,
          )
        : null,
      m
        ? table(
            'Workers holding it',
            ['Worker', 'Version', 'State', 'Progress'],
            m.workers.map((w) => [
              w.id,
              w.version,
              badge(w.state),
              w.progress ? `${fmt.bytes(w.progress.done)} / ${fmt.bytes(w.progress.total)}` : (w.error ?? '–'),
            ]),
            'no worker holds it.',
          )
        : null,
    );
    fill(
      recent,
      h('h2', { id: 'recent-h' }, 'Recent predictions'),
      table(
        'Recent predictions (accepted by this gateway)',
        ['Prediction', 'Status', 'Created', 'Queue', 'Predict', 'Batch'],
        preds.predictions.map((p) => [
          h('a', { href: `#/predictions/${encodeURIComponent(p.id)}` }, p.id),
          badge(p.status),
          fmt.time(p.created_at),
          fmt.ms(p.metrics.queue_ms),
          fmt.ms(p.metrics.predict_ms),
          p.metrics.batch_size ?? '–',
        ]),
        'none yet.',
      ),
    );
    const replay = (entries?: string[]) =>
      api<{ replayed: string[] }>(`/admin/models/${encodeURIComponent(name)}/dead-letters/replay`, {
        method: 'POST',
        body: entries ? { entries } : {},
      }).then(
        (r) => (message.textContent = `Replayed ${r.replayed.length}: ${r.replayed.join(', ')}`),
        (err: ApiError) => (message.textContent = `${err.code}: ${err.message}`),
      );
    fill(
      dead,
      h('h2', { id: 'dead-h' }, `Dead letters (${dl.count})`),
      canWrite && dl.dead_letters.length > 0
        ? h('button', { type: 'button', onclick: () => void replay() }, 'Replay all')
        : null,
      table(
        'Dead letters',
        ['Prediction', 'Version', 'Deliveries', 'Created', 'Dead since', ''],
        dl.dead_letters.map((d) => [
          h('a', { href: `#/predictions/${encodeURIComponent(d.prediction_id)}` }, d.prediction_id),
          d.version,
          d.deliveries,
          fmt.time(d.created_at),
          fmt.ago(d.dead_at),
          canWrite ? h('button', { type: 'button', onclick: () => void replay([d.entry]) }, 'Replay') : '',
        ]),
        'none.',
      ),
    );
    showActions(m);
  };
}
