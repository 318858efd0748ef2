// Publish and update forms. They send what `alto publish` / `alto update` send; the publisher
// checks both the same way (PublishRequestSchema, UpdateRequestSchema) and its refusal, which
// names every field at fault, is shown as it is.
import type { ApiError } from './api.ts';
import { api } from './api.ts';
import { h } from './dom.ts';
import type { AdminModel } from './types.ts';

const FIELDS = [
  { name: 'uri', label: 'Base URI', hint: 'gs://bucket/prefix or a local folder holding <version>/model.onnx' },
  { name: 'replicas', label: 'Replicas', number: true },
  { name: 'version', label: 'Version', hint: 'empty: the highest complete version, rolling out new ones' },
  { name: 'max_batch_size', label: 'Max batch size', number: true },
  { name: 'max_queue_delay_ms', label: 'Max queue delay (ms)', number: true },
  { name: 'timeout_ms', label: 'Timeout (ms)', number: true },
  { name: 'constraints', label: 'Constraints', hint: 'key=value, comma-separated, e.g. accelerator=gpu' },
] as const;

/** The JSON body a form's fields spell; empty fields are left out (update: unchanged). */
export function formBody(form: HTMLFormElement, forUpdate: boolean): Record<string, unknown> {
  const data = new FormData(form);
  const body: Record<string, unknown> = {};
  const name = String(data.get('name') ?? '').trim();
  if (!forUpdate) body.name = name;
  for (const f of FIELDS) {
    const raw = String(data.get(f.name) ?? '').trim();
    if (raw === '') {
      if (f.name === 'version' && forUpdate && data.get('latest') === 'on') body.version = null;
      continue;
    }
    if (f.name === 'constraints') {
      body.constraints = Object.fromEntries(
        raw.split(',').map((kv) => {
          const [k, ...v] = kv.split('=');
          return [k!.trim(), v.join('=').trim()];
        }),
      );
    } else body[f.name] = 'number' in f ? Number(raw) : raw;
  }
  return body;
}

/** A publish (no `model`) or update form; `done` runs after the publisher accepted it. */
export function settingsForm(
  model: AdminModel | undefined,
  done: (m: AdminModel) => void,
  prefill?: AdminModel,
): HTMLFormElement {
  const update = model !== undefined;
  const from = model ?? prefill;
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const id = (n: string) => `${update ? 'upd' : 'pub'}-${n}`;
  const value = (n: string): string => {
    if (!from) return '';
    if (n === 'constraints')
      return Object.entries(from.constraints ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
    const v = from[n];
    return v === null || v === undefined ? '' : String(v);
  };
  const form = h(
    'form',
    { class: 'settings', 'data-testid': update ? 'update-form' : 'publish-form', novalidate: true },
    h('h3', {}, update ? `Update ${model.name}` : 'Publish a model'),
    update
      ? null
      : h(
          'div',
          { class: 'field' },
          h('label', { for: id('name') }, 'Name'),
          h('input', { id: id('name'), name: 'name', value: prefill?.name ?? '', required: true }),
        ),
    FIELDS.map((f) =>
      h(
        'div',
        { class: 'field' },
        h('label', { for: id(f.name) }, f.label),
        h('input', {
          id: id(f.name),
          name: f.name,
          value: value(f.name),
          inputmode: 'number' in f ? 'numeric' : undefined,
          'aria-describedby': 'hint' in f ? id(`${f.name}-hint`) : undefined,
        }),
        'hint' in f ? h('small', { id: id(`${f.name}-hint`) }, f.hint) : null,
      ),
    ),
    update
      ? h(
          'div',
          { class: 'field check' },
          h('input', { id: id('latest'), name: 'latest', type: 'checkbox' }),
          h('label', { for: id('latest') }, 'Serve the latest version (clears a pinned version)'),
        )
      : null,
    h('button', { type: 'submit' }, update ? 'Update' : 'Publish'),
    status,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = formBody(form, update);
    status.textContent = update ? 'Updating…' : 'Publishing…';
    status.className = 'form-status';
    const call = update
      ? api<AdminModel>(`/admin/models/${encodeURIComponent(model.name)}`, { method: 'PATCH', body })
      : api<AdminModel>('/admin/models', { method: 'POST', body });
    call.then(
      (m) => {
        status.textContent = update ? `Updated ${m.name}.` : `Published ${m.name}.`;
        done(m);
      },
      (err: ApiError) => {
        status.className = 'form-status error';
        status.textContent = `${err.code}: ${err.message}`;
      },
    );
  });
  return form;
}
