// `alto workers`: every worker the fleet knows, its devices, its memory and the models it holds.
import { formatBytes } from '../bytes.ts';
import type { Command } from '../command.ts';
import { printJson } from '../command.ts';
import { ago, percent, renderTable } from '../table.ts';
import type { WorkerView } from '../views.ts';

export const workers: Command = {
  name: 'workers',
  summary: 'list workers and the models they hold',
  args: [],
  options: {},
  api: 'admin',
  async run({ client, io, json }) {
    const body = await client.admin<{ workers: WorkerView[] }>('GET', '/workers');
    if (json) printJson(io, body);
    else io.out(body.workers.length ? workersTable(body.workers) : 'no workers\n');
    return 0;
  },
};

/** `tiny@2 ready, big@3 downloading 45%`. */
export function modelsCell(models: WorkerView['models']): string {
  if (!models.length) return '-';
  return models
    .map((m) => {
      const p = m.state === 'downloading' ? percent(m.progress) : undefined;
      return `${m.name}@${m.version} ${m.state}${p ? ` ${p}` : ''}`;
    })
    .join(', ');
}

/** `cpu AMD EPYC 7B13, 1 × 62 GiB; gpu NVIDIA H200, 2 × 140 GiB (100 GiB used)`. */
export function devicesCell(devices: WorkerView['devices']): string {
  if (!devices.length) return '-';
  return devices
    .map((d) => {
      const used = d.memory_used_bytes === undefined ? '' : ` (${formatBytes(d.memory_used_bytes)} used)`;
      return `${d.kind} ${d.model}, ${d.count} × ${formatBytes(d.memory_bytes_per_device)}${used}`;
    })
    .join('; ');
}

export function workersTable(list: readonly WorkerView[], now = Date.now()): string {
  const rows = [...list]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((w) => [
      w.id,
      w.host,
      w.accelerator,
      w.alive ? w.state : `${w.state}, not alive`,
      devicesCell(w.devices),
      `${formatBytes(w.memory_used_bytes)} / ${formatBytes(w.memory_bytes)}`,
      ago(w.last_seen, now),
      modelsCell(w.models),
    ]);
  return renderTable(['ID', 'HOST', 'ACCEL', 'STATE', 'DEVICES', 'MEMORY', 'LAST SEEN', 'MODELS'], rows);
}
