// Run a prediction by hand: pick a model, give an input (a JSON tensor, an image for an image
// model, text for a text model), see the output.
import type { ApiError } from './api.ts';
import { api } from './api.ts';
import { badge, fill, h } from './dom.ts';
import type { ModelDescription, Prediction } from './types.ts';

/** An image as a [1, 3, H, W] FP32 tensor, scaled to the input's size and normalised to [-1, 1] (PP-OCR's preprocessing). */
async function imageTensor(file: File, height: number, width: number) {
  const bitmap = await createImageBitmap(file);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0, width, height);
  const px = ctx.getImageData(0, 0, width, height).data;
  const data = new Array<number>(3 * height * width);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < height * width; i++) data[c * height * width + i] = (px[i * 4 + c]! / 255 - 0.5) / 0.5;
  }
  return { datatype: 'FP32', shape: [1, 3, height, width], data };
}

/** An example input: zeros of the input's shape with dynamic dimensions as 1. */
const example = (m: ModelDescription) =>
  JSON.stringify(
    Object.fromEntries(
      m.inputs.map((i) => {
        const shape = i.shape.map((d) => (d < 0 ? 1 : d));
        const n = shape.reduce((a, b) => a * b, 1);
        const data = i.datatype === 'BYTES' ? Array(n).fill('hello') : Array(n).fill(0.5);
        return [i.name, { datatype: i.datatype, shape, data }];
      }),
    ),
  );

const TERMINAL = ['succeeded', 'failed', 'canceled', 'expired'];

/** The prediction once it ends: the gateway held the request up to its wait limit; past that, it is polled. */
async function finish(p: Prediction): Promise<Prediction> {
  while (!TERMINAL.includes(p.status)) {
    await new Promise((r) => setTimeout(r, 500));
    p = await api<Prediction>(`/predictions/${encodeURIComponent(p.id)}`);
  }
  return p;
}

export function playgroundPage(root: HTMLElement, preselect: string | undefined) {
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const output = h('div', { 'data-testid': 'playground-output' });
  const select = h('select', { id: 'pg-model', name: 'model' });
  const input = h('textarea', { id: 'pg-input', name: 'input', rows: 8, spellcheck: 'false' });
  const file = h('input', { id: 'pg-file', type: 'file', accept: 'image/*,.txt,.json' });
  const key = h('input', { id: 'pg-key', type: 'password', autocomplete: 'off' });
  let models: ModelDescription[] = [];
  const form = h(
    'form',
    { class: 'settings' },
    h('div', { class: 'field' }, h('label', { for: 'pg-model' }, 'Model'), select),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'pg-input' }, 'Input (JSON: input name → tensor; or plain text for a text model)'),
      input,
    ),
    h('div', { class: 'field' }, h('label', { for: 'pg-file' }, 'Or upload an image, a text or a JSON file'), file),
    h('div', { class: 'field' }, h('label', { for: 'pg-key' }, 'API key (only where the gateway requires one)'), key),
    h('button', { type: 'submit' }, 'Run'),
    status,
  );
  fill(root, h('h1', {}, 'Playground'), form, h('h2', {}, 'Output'), output);

  const current = () => models.find((m) => m.name === select.value);
  select.addEventListener('change', () => {
    const m = current();
    if (m) input.value = example(m);
  });
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    const m = current();
    if (!f || !m) return;
    const first = m.inputs[0]!;
    try {
      if (f.type.startsWith('image/')) {
        const [, , hgt, wid] = first.shape;
        input.value = JSON.stringify({
          [first.name]: await imageTensor(f, hgt! > 0 ? hgt! : 48, wid! > 0 ? wid! : 192),
        });
      } else if (f.name.endsWith('.json')) {
        input.value = await f.text();
      } else {
        const text = await f.text();
        input.value = JSON.stringify({ [first.name]: { datatype: 'BYTES', shape: [1], data: [text] } });
      }
      status.textContent = `Read ${f.name}.`;
    } catch (err) {
      status.textContent = `Could not read ${f.name}: ${(err as Error).message}`;
    }
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    let parsed: unknown;
    const first = current()?.inputs[0];
    try {
      parsed = JSON.parse(input.value);
    } catch (err) {
      // Plain text for a text model (one BYTES input): sent as a one-element tensor.
      if (first?.datatype === 'BYTES' && current()?.inputs.length === 1) {
        parsed = { [first.name]: { datatype: 'BYTES', shape: [1], data: [input.value] } };
      } else {
        status.textContent = `input: not JSON (${(err as Error).message})`;
        return;
      }
    }
    status.textContent = 'Running…';
    const headers: Record<string, string> = key.value ? { 'x-alto-api-key': key.value } : {};
    api<Prediction>(`/models/${encodeURIComponent(select.value)}/predictions`, {
      method: 'POST',
      body: { input: parsed },
      headers,
    })
      .then(finish)
      .then(
        (p) => {
          status.textContent = `Prediction ${p.id}: ${p.status}.`;
          fill(
            output,
            h('p', {}, badge(p.status), ' ', h('a', { href: `#/predictions/${encodeURIComponent(p.id)}` }, p.id)),
            p.error ? h('p', { class: 'alert', role: 'alert' }, `${p.error.code}: ${p.error.message}`) : null,
            h(
              'pre',
              { class: 'json', tabindex: 0, 'aria-label': 'output JSON', 'data-testid': 'output-json' },
              JSON.stringify(p.output, null, 2),
            ),
          );
        },
        (err: ApiError) => (status.textContent = `${err.code}: ${err.message}`),
      );
  });

  let loaded = false;
  return async () => {
    if (loaded) return;
    // The public catalog: what can be predicted now, with input shapes.
    const r = await fetch('/v1/models', { credentials: 'omit' });
    const list = r.ok ? ((await r.json()) as { models: ModelDescription[] }).models : [];
    if (!r.ok) status.textContent = `The model list needs an API key here (HTTP ${r.status}).`;
    models = list;
    fill(
      select,
      list.map((m) => h('option', { value: m.name, selected: m.name === preselect }, m.name)),
    );
    if (list.length) input.value = example(current() ?? list[0]!);
    loaded = true;
  };
}
