// `alto scaling`: the autoscaling signal, one row per worker pool — how many workers it needs
// and why (backlog, arrivals, measured throughput, idle time). Reads GET /v1/admin/scaling.
import type { Command } from '../command.ts';
import { printJson } from '../command.ts';
import { renderTable } from '../table.ts';
import type { ScalingView } from '../views.ts';

export const scaling: Command = {
  name: 'scaling',
  summary: 'list worker pools: desired and current workers, backlog, arrival rate',
  args: [],
  options: {},
  api: 'admin',
  async run({ client, io, json }) {
    const body = await client.admin<ScalingView>('GET', '/scaling');
    if (json) printJson(io, body);
    else io.out(scalingTable(body));
    return 0;
  },
};

const rate = (r: number | null) => (r === null ? '-' : `${Number(r.toFixed(2))}/s`);

export function scalingTable(s: ScalingView): string {
  const note = `target drain ${s.target_drain_s}s, idle to zero after ${s.idle_s}s\n`;
  if (!s.pools.length) return `no pools\n${note}`;
  const rows = s.pools.map((p) => [
    p.pool,
    String(p.desired_workers),
    String(p.current_workers),
    String(p.backlog),
    rate(p.arrival_rate),
    rate(p.throughput_per_worker),
    p.idle_for_s === null ? 'busy' : `${p.idle_for_s}s`,
    p.models.map((m) => `${m.model} (${m.backlog} queued, ${m.ready_replicas} ready)`).join(', ') || '-',
  ]);
  const header = ['POOL', 'DESIRED', 'CURRENT', 'BACKLOG', 'ARRIVALS', 'PER WORKER', 'IDLE', 'MODELS'];
  return renderTable(header, rows) + note;
}
