// `alto batch create <model> --input URI --output URI [--priority P]` starts a batch job;
// `alto batch get <id>` shows its status, counts and rows per second (`--watch` until it
// ends); `alto batch ls` lists the caller's batches; `alto batch cancel <id>` cancels one.
// Shapes are the gateway's own (types only from @alto/batches; docs/batches.md).
import type { BatchCreateJson, BatchJson } from '@alto/batches';
import type { Command, Context } from '../command.ts';
import { printJson } from '../command.ts';
import { usageError } from '../exit.ts';
import { ago, percent, renderFields, renderTable } from '../table.ts';

const ACTIONS = ['create', 'get', 'ls', 'cancel'] as const;
const PRIORITIES = ['low', 'normal', 'high'];

const done = (b: BatchJson) => b.counts.succeeded + b.counts.failed + b.counts.canceled;

const progress = (b: BatchJson) =>
  b.counts.total === null
    ? `${done(b)} done`
    : `${done(b)}/${b.counts.total} (${percent({ done: done(b), total: b.counts.total }) ?? '0%'})`;

export function batchFields(b: BatchJson, now = Date.now()): string {
  return renderFields([
    ['id', b.id],
    ['model', b.model],
    ['status', b.status],
    ['progress', progress(b)],
    [
      'counts',
      `${b.counts.succeeded} succeeded, ${b.counts.failed} failed, ${b.counts.canceled} canceled, ` +
        `${b.counts.outstanding} outstanding (${b.counts.fed} fed)`,
    ],
    ['rows/s', String(b.rows_per_second)],
    ['input', b.input_uri],
    ['results', `${b.results_uri} (${b.shards} shards)`],
    ['created', ago(b.created_at, now)],
    ...(b.finished_at ? [['finished', ago(b.finished_at, now)] as const] : []),
    ...(b.error ? [['error', `${b.error.code}: ${b.error.message}`] as const] : []),
  ]);
}

export function batchesTable(list: readonly BatchJson[], now = Date.now()): string {
  const rows = list.map((b) => [
    b.id,
    b.model,
    b.status,
    progress(b),
    String(b.rows_per_second),
    ago(b.created_at, now),
  ]);
  return renderTable(['ID', 'MODEL', 'STATUS', 'PROGRESS', 'ROWS/S', 'CREATED'], rows);
}

const show = ({ io, json }: Context, b: BatchJson) => (json ? printJson(io, b) : io.out(batchFields(b)));
const path = (id: string) => `/v1/batches/${encodeURIComponent(id)}`;

export const batchCommand: Command = {
  name: 'batch',
  summary: 'run a JSONL file of requests as a batch job: create, get, ls, cancel',
  args: [{ name: 'create|get|ls|cancel' }, { name: 'model|id', optional: true }],
  options: {
    input: { kind: 'string', value: 'URI', help: 'create: the JSONL input, gs://bucket/name or file:///path' },
    output: { kind: 'string', value: 'URI', help: 'create: the folder the result shards go to' },
    priority: { kind: 'string', value: 'P', help: 'create: low (default), normal or high' },
    watch: { kind: 'boolean', help: 'get: print progress every second until the batch ends' },
  },
  api: 'gateway',
  notes:
    'Each input line is one prediction request body, with an optional custom_id; results are JSONL shards under ' +
    "<output>/<batch id>/. Both URIs must lie under the gateway's ALTO_PAYLOAD_ROOTS (docs/batches.md).",
  async run(ctx) {
    const { args, flags, client, io, json } = ctx;
    const [action, target] = args as [string, string | undefined];
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw usageError(`alto batch: expected one of ${ACTIONS.join(', ')}, got '${action}'`);
    }
    if (action === 'ls') {
      const body = await client.request<{ batches: BatchJson[] }>('GET', '/v1/batches');
      if (json) printJson(io, body);
      else io.out(body.batches.length ? batchesTable(body.batches) : 'no batches\n');
      return 0;
    }
    if (target === undefined) {
      throw usageError(`alto batch ${action}: expected ${action === 'create' ? 'a model' : 'a batch id'}, got none`);
    }
    if (action === 'create') {
      const input = flags.string('input');
      const output = flags.string('output');
      if (input === undefined) throw usageError('alto batch create: expected --input URI, got none');
      if (output === undefined) throw usageError('alto batch create: expected --output URI, got none');
      const priority = flags.string('priority');
      if (priority !== undefined && !PRIORITIES.includes(priority)) {
        throw usageError(`--priority: expected one of ${PRIORITIES.join(', ')}, got '${priority}'`);
      }
      const body: BatchCreateJson = { model: target, input_uri: input, output_uri: output };
      if (priority !== undefined) body.priority = priority as BatchCreateJson['priority'];
      show(ctx, await client.request<BatchJson>('POST', '/v1/batches', { body }));
      return 0;
    }
    if (action === 'cancel') {
      show(ctx, await client.request<BatchJson>('POST', `${path(target)}/cancel`));
      return 0;
    }
    let b = await client.request<BatchJson>('GET', path(target));
    if (flags.bool('watch')) {
      while (!b.finished_at) {
        if (!json) io.out(`${b.status} ${progress(b)} ${b.rows_per_second} rows/s\n`);
        await new Promise((r) => setTimeout(r, 1000));
        b = await client.request<BatchJson>('GET', path(target));
      }
    }
    show(ctx, b);
    return b.status === 'failed' ? 1 : 0;
  },
};
