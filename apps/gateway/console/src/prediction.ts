// One prediction: the object, its timeline (created → started → completed), its webhook
// deliveries with their attempts, and a link to its trace when one is configured.
import { api } from './api.ts';
import { badge, fill, fmt, h, table } from './dom.ts';
import type { Prediction } from './types.ts';

interface Delivery {
  event: string;
  state: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
}

export function predictionPage(root: HTMLElement, id: string, traceUrl: string | null) {
  const body = h('div');
  fill(root, h('h1', {}, 'Prediction ', h('code', {}, id)), body);
  return async () => {
    const p = await api<Prediction>(`/predictions/${encodeURIComponent(id)}`);
    const t = (iso: string | null) => (iso ? Date.parse(iso) : null);
    const created = t(p.created_at)!;
    const started = t(p.started_at);
    const completed = t(p.completed_at);
    const hooks = p.webhooks as { url: string; deliveries: Delivery[] } | null;
    const trace = p.trace_id && traceUrl ? traceUrl.replace('{trace_id}', p.trace_id) : null;
    fill(
      body,
      h(
        'p',
        {},
        badge(p.status),
        ' ',
        h('a', { href: `#/models/${encodeURIComponent(p.model)}` }, p.model),
        `@${p.version}`,
        trace ? [' · ', h('a', { href: trace, rel: 'noopener noreferrer', target: '_blank' }, 'trace')] : null,
        p.trace_id && !trace ? ` · trace ${p.trace_id}` : null,
      ),
      h('h2', {}, 'Timeline'),
      h(
        'ol',
        { class: 'timeline', 'data-testid': 'timeline' },
        h('li', {}, h('strong', {}, 'created '), fmt.time(p.created_at)),
        h(
          'li',
          {},
          h('strong', {}, 'started '),
          started
            ? `${fmt.time(p.started_at)} (+${started - created} ms, queued ${fmt.ms(p.metrics.queue_ms)})`
            : 'not yet',
        ),
        h(
          'li',
          {},
          h('strong', {}, `${p.status === 'succeeded' || p.status === 'failed' ? 'completed' : 'ended'} `),
          completed
            ? `${fmt.time(p.completed_at)} (+${completed - created} ms, ` +
                `predict ${fmt.ms(p.metrics.predict_ms)}, batch of ${p.metrics.batch_size ?? '–'})`
            : 'not yet',
        ),
      ),
      p.error ? h('p', { class: 'alert', role: 'alert' }, `${p.error.code}: ${p.error.message}`) : null,
      h('h2', {}, 'Webhook deliveries'),
      hooks
        ? table(
            `Deliveries to ${hooks.url}`,
            ['Event', 'State', 'Attempts', 'Last status', 'Last error', 'Last attempt', 'Next attempt'],
            hooks.deliveries.map((d) => [
              d.event,
              badge(d.state),
              d.attempts,
              d.last_status ?? '–',
              d.last_error ?? '–',
              fmt.time(d.last_attempt_at),
              fmt.time(d.next_attempt_at),
            ]),
            'no event has happened yet.',
          )
        : h('p', {}, 'No webhook.'),
      h('h2', {}, 'Object'),
      h('pre', { class: 'json', tabindex: 0, 'aria-label': 'prediction JSON' }, JSON.stringify(p, null, 2)),
    );
    return (
      ['succeeded', 'failed', 'canceled', 'expired'].includes(p.status) &&
      !(hooks?.deliveries ?? []).some((d) => d.state === 'pending' || d.state === 'retrying')
    );
  };
}
