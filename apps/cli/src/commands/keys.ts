// `alto keys create <name> --owner O [--models a,b] [--rate R] [--burst B] [--max-queued N]`
// makes a managed API key and prints its secret (shown this once only); `alto keys ls` lists
// every key with its limits, last use and usage totals; `alto keys usage <id>` shows one key's
// predictions and compute seconds per model; `alto keys revoke <id>` revokes one.
import { usageError } from '../exit.ts';
import type { Command } from '../command.ts';
import { printJson } from '../command.ts';
import { ago, renderTable } from '../table.ts';
import type { ApiKey, ApiKeyCreateRequest, ApiKeyCreated } from '../views.ts';

const ACTIONS = ['create', 'ls', 'usage', 'revoke'] as const;

function positive(what: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(n > 0)) throw usageError(`${what}: expected a number > 0, got '${raw}'`);
  return n;
}

const limitsCell = (k: ApiKey) =>
  [
    k.rate === null ? undefined : `${k.rate}/s${k.burst === null ? '' : ` burst ${k.burst}`}`,
    k.max_queued === null ? undefined : `${k.max_queued} queued`,
  ]
    .filter(Boolean)
    .join(', ') || '-';

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** Compute seconds as a cell: `0s`, `0.012s`, `3.40s`, `1234s`. */
export function seconds(s: number): string {
  if (s === 0) return '0s';
  if (s < 1) return `${s.toFixed(3)}s`;
  if (s < 100) return `${s.toFixed(2)}s`;
  return `${Math.round(s)}s`;
}

/** One key's usage per model, busiest first. */
export function usageTable(usage: ApiKey['usage']): string {
  const models = [...new Set([...Object.keys(usage.predictions), ...Object.keys(usage.compute_seconds)])];
  const rows = models
    .map((m) => ({ m, p: usage.predictions[m] ?? 0, s: usage.compute_seconds[m] ?? 0 }))
    .sort((a, b) => b.s - a.s || b.p - a.p || a.m.localeCompare(b.m))
    .map((r) => [r.m, String(r.p), seconds(r.s)]);
  rows.push(['total', String(sum(usage.predictions)), seconds(sum(usage.compute_seconds))]);
  return renderTable(['MODEL', 'PREDICTIONS', 'COMPUTE'], rows);
}

export function keysTable(list: readonly ApiKey[], now = Date.now()): string {
  const rows = list.map((k) => [
    k.id,
    k.name,
    k.owner,
    ago(k.created_at, now),
    k.last_used === null ? 'never' : ago(k.last_used, now),
    k.models === null ? 'all' : k.models.join(',') || 'none',
    limitsCell(k),
    String(sum(k.usage.predictions)),
    seconds(sum(k.usage.compute_seconds)),
    k.revoked_at === null ? 'active' : `revoked ${ago(k.revoked_at, now)}`,
  ]);
  return renderTable(
    ['ID', 'NAME', 'OWNER', 'CREATED', 'LAST USED', 'MODELS', 'LIMITS', 'PREDICTIONS', 'COMPUTE', 'STATE'],
    rows,
  );
}

export const keysCommand: Command = {
  name: 'keys',
  summary: 'create, list (ls), show the usage of and revoke managed API keys',
  args: [{ name: 'create|ls|usage|revoke' }, { name: 'name|id', optional: true }],
  options: {
    owner: { kind: 'string', value: 'WHO', help: 'create: who the key belongs to (required)' },
    models: { kind: 'string', value: 'A,B', help: 'create: the only models the key may use (default all)' },
    rate: { kind: 'string', value: 'R', help: 'create: prediction requests per second (default no limit)' },
    burst: { kind: 'string', value: 'N', help: 'create: requests allowed at once above the rate (default the rate)' },
    'max-queued': { kind: 'string', value: 'N', help: 'create: most predictions queued or running at once' },
  },
  api: 'admin',
  notes:
    'The secret is printed once, at creation; Alto stores only its hash. Gateways accept managed keys with ' +
    'ALTO_MANAGED_API_KEYS=true and refuse a revoked one within ALTO_API_KEY_CACHE_MS. Usage: predictions that ' +
    "ended and inference seconds, per model, since the key's creation (docs/api-keys.md).",
  async run({ args, flags, client, io, json }) {
    const [action, target] = args as [string, string | undefined];
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw usageError(`alto keys: expected one of ${ACTIONS.join(', ')}, got '${action}'`);
    }
    if (action === 'ls') {
      const body = await client.admin<{ keys: ApiKey[] }>('GET', '/keys');
      if (json) printJson(io, body);
      else io.out(body.keys.length ? keysTable(body.keys) : 'no API keys\n');
      return 0;
    }
    if (target === undefined) {
      throw usageError(`alto keys ${action}: expected ${action === 'create' ? 'a name' : 'a key id'}, got none`);
    }
    if (action === 'usage') {
      const key = await client.admin<ApiKey>('GET', `/keys/${encodeURIComponent(target)}`);
      if (json) printJson(io, key.usage);
      else io.out(`${key.id} (${key.name}):\n${usageTable(key.usage)}`);
      return 0;
    }
    if (action === 'revoke') {
      const key = await client.admin<ApiKey>('DELETE', `/keys/${encodeURIComponent(target)}`);
      if (json) printJson(io, key);
      else io.out(`${key.id} (${key.name}) revoked: gateways refuse it within a second\n`);
      return 0;
    }
    const owner = flags.string('owner');
    if (owner === undefined) throw usageError('alto keys create: expected --owner WHO, got none');
    const models = flags.string('models');
    const body: ApiKeyCreateRequest = {
      name: target,
      owner,
      ...(models !== undefined
        ? {
            models: models
              .split(',')
              .map((m) => m.trim())
              .filter(Boolean),
          }
        : {}),
    };
    const rate = positive('--rate', flags.string('rate'));
    const burst = flags.int('burst', 1);
    const maxQueued = flags.int('max-queued', 1);
    if (rate !== undefined) body.rate = rate;
    if (burst !== undefined) body.burst = burst;
    if (maxQueued !== undefined) body.max_queued = maxQueued;
    const key = await client.admin<ApiKeyCreated>('POST', '/keys', { body });
    if (json) printJson(io, key);
    else {
      io.out(`${key.id} (${key.name}) created; its secret, shown this once only:\n${key.secret}\n`);
    }
    return 0;
  },
};
