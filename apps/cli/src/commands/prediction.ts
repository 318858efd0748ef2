// `alto predict` and `alto get`: a prediction's JSON on stdout, and an exit status that says
// whether it ended well.
import type { Prediction } from '@alto/protocol';
import { parseWhole } from '../args.ts';
import type { Client } from '../client.ts';
import type { Command, Context } from '../command.ts';
import { printJson } from '../command.ts';
import { CliError, EXIT, usageError } from '../exit.ts';
import { bodyFromInputs, bodyFromJson } from './inputs.ts';

const FAILED = new Set(['failed', 'canceled', 'expired']);
const TERMINAL = new Set(['succeeded', ...FAILED]);

export const predict: Command = {
  name: 'predict',
  summary: 'submit a prediction and print it',
  args: [{ name: 'model' }],
  options: {
    json: { kind: 'string', value: "'BODY'", help: 'the whole request body as JSON, or @FILE to read it from a file' },
    input: {
      kind: 'string',
      multiple: true,
      value: 'NAME=@FILE',
      help: 'input NAME from a JSON file holding {"datatype", "shape", "data"} (repeatable)',
    },
    version: { kind: 'string', value: 'V', help: 'ask for this version of the model' },
    wait: {
      kind: 'optional',
      value: 'SECONDS',
      help: "hold until the prediction is done: --wait for the server's longest hold, --wait=N for N seconds",
    },
  },
  api: 'gateway',
  notes:
    'Give the body with --json or build it from --input files, not both. The prediction is printed as JSON; ' +
    'exit status 1 when it ended failed, canceled or expired. One still queued or running when the wait ends ' +
    "is printed as it is (exit 0): follow it with 'alto get ID'.",
  async run(ctx) {
    const body = requestBody(ctx);
    const waitFor = waitSeconds(ctx.flags.optional('wait'));
    const [model] = ctx.args as [string];
    const version = ctx.flags.string('version');
    const path =
      version === undefined
        ? `/v1/models/${encodeURIComponent(model)}/predictions`
        : `/v1/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}/predictions`;
    const headers: Record<string, string> = {};
    if (waitFor === 'server') headers.prefer = 'wait';
    else if (waitFor > 0) headers.prefer = `wait=${waitFor}`;
    const started = Date.now();
    let p = await ctx.client.gateway<Prediction>('POST', path, {
      body,
      headers,
      timeoutMs: (waitFor === 'server' ? 600 : waitFor) * 1000 + 30_000,
    });
    // The server caps its hold (60 s by default); a longer --wait=N goes on by polling.
    if (typeof waitFor === 'number' && waitFor > 0) p = await pollUntil(ctx.client, p, started + waitFor * 1000);
    return report(ctx, p);
  },
};

export const get: Command = {
  name: 'get',
  summary: 'print a prediction by id',
  args: [{ name: 'id' }],
  options: {},
  api: 'gateway',
  notes: 'Exit status 1 when the prediction ended failed, canceled or expired.',
  async run(ctx) {
    const [id] = ctx.args as [string];
    return report(ctx, await ctx.client.gateway<Prediction>('GET', `/v1/predictions/${encodeURIComponent(id)}`));
  },
};

function requestBody({ flags, io }: Context): Record<string, unknown> {
  const json = flags.string('json');
  const inputs = flags.list('input');
  if (json !== undefined && inputs.length) throw usageError('give --json or --input, not both');
  if (json !== undefined) return bodyFromJson(json, io.cwd);
  if (inputs.length) return bodyFromInputs(inputs, io.cwd);
  throw usageError("missing request: give --json '<body>' or --input NAME=@FILE");
}

function waitSeconds(flag: string | true | undefined): number | 'server' {
  if (flag === undefined) return 0;
  if (flag === true) return 'server';
  return parseWhole('--wait', flag, 0);
}

async function pollUntil(client: Client, first: Prediction, deadline: number): Promise<Prediction> {
  let p = first;
  let pause = 200;
  while (!TERMINAL.has(p.status) && Date.now() + pause < deadline) {
    await new Promise((r) => setTimeout(r, pause));
    p = await client.gateway<Prediction>('GET', `/v1/predictions/${encodeURIComponent(p.id)}`);
    pause = Math.min(pause * 2, 1000);
  }
  return p;
}

function report({ io }: Context, p: Prediction): number {
  printJson(io, p);
  if (FAILED.has(p.status)) {
    const why = p.error ? `: ${p.error.code}: ${p.error.message}` : '';
    throw new CliError(EXIT.refused, `prediction ${p.id} ${p.status}${why}`);
  }
  return EXIT.ok;
}
