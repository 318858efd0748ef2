// `alto predict` and `alto get`: a prediction's JSON on stdout, and an exit status that says
// whether it ended well.
import type { PredictionJson, PredictionRequestJson } from '@alto/client';
import { parseWhole } from '../args.ts';
import type { Command, Context } from '../command.ts';
import { printJson } from '../command.ts';
import { CliError, EXIT, usageError } from '../exit.ts';
import { bodyFromInputs, bodyFromJson } from './inputs.ts';

const FAILED = new Set(['failed', 'canceled', 'expired']);

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
    // --wait: one hold as long as the server allows, then the prediction as it is; --wait=N:
    // N seconds, polling past the server's cap.
    const p = await ctx.client.gateway((c) =>
      c.predictJson(model, body as unknown as PredictionRequestJson, {
        ...(waitFor === 'server' ? { wait: true, poll: false } : waitFor > 0 ? { wait: waitFor * 1000 } : {}),
        ...(version !== undefined ? { version } : {}),
      }),
    );
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
    return report(ctx, await ctx.client.gateway((c) => c.getJson(id)));
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

function report({ io }: Context, p: PredictionJson): number {
  printJson(io, p);
  if (FAILED.has(p.status)) {
    const why = p.error ? `: ${p.error.code}: ${p.error.message}` : '';
    throw new CliError(EXIT.refused, `prediction ${p.id} ${p.status}${why}`);
  }
  return EXIT.ok;
}
