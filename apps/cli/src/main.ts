// Entry of the `alto` command: finds the command, parses its flags, runs it, and turns any
// failure into one `alto: <message>` line on stderr and a documented exit status.
import { closest } from '@alto/config';
import { parseArgs, type Parsed } from './args.ts';
import { Client } from './client.ts';
import type { Command, Io } from './command.ts';
import { ls } from './commands/ls.ts';
import { get, predict } from './commands/prediction.ts';
import { publish } from './commands/publish.ts';
import { unpublish } from './commands/unpublish.ts';
import { deadLetters, replay } from './commands/dead-letters.ts';
import { drain, undrain } from './commands/drain.ts';
import { update } from './commands/update.ts';
import { workers } from './commands/workers.ts';
import { scaling } from './commands/scaling.ts';
import { audit, whoami } from './commands/audit.ts';
import { keysCommand } from './commands/keys.ts';
import { batchCommand } from './commands/batch.ts';
import { CliError, EXIT, usageError } from './exit.ts';
import { GLOBAL_OPTIONS, commandHelp, topHelp, usageLine } from './help.ts';
import { resolveAdminToken, resolveApiKey, resolveUrl } from './settings.ts';

export const COMMANDS: readonly Command[] = [
  ls,
  publish,
  update,
  unpublish,
  workers,
  drain,
  undrain,
  predict,
  get,
  deadLetters,
  replay,
  scaling,
  whoami,
  audit,
  keysCommand,
  batchCommand,
];

export function processIo(): Io {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`alto: ${err.message.replace(/\s*\n\s*/g, ' ')}\n`);
      return err.exitCode;
    }
    io.err(`alto: internal error: ${String((err as Error)?.message ?? err).replace(/\s*\n\s*/g, ' ')}\n`);
    return EXIT.refused;
  }
}

async function dispatch(argv: readonly string[], io: Io): Promise<number> {
  const at = commandIndex(argv);
  // Flags before the command are global ones; after it, the command's own join them.
  const before = parseArgs(argv.slice(0, at), GLOBAL_OPTIONS, 'alto');
  const name = argv[at];
  const names = COMMANDS.map((c) => c.name);
  if (name === undefined || name === 'help') {
    const topic = name === 'help' ? argv[at + 1] : undefined;
    if (topic !== undefined) return dispatch([topic, '--help'], io);
    if (name === 'help' || before.flags.bool('help')) {
      io.out(topHelp(COMMANDS));
      return EXIT.ok;
    }
    throw usageError(`missing command (one of ${names.join(', ')}); see 'alto --help'`);
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const guess = closest(name, names);
    throw usageError(`unknown command '${name}'${guess ? ` (did you mean ${guess}?)` : ''}; see 'alto --help'`);
  }
  const rest = argv.slice(at + 1);
  const flagsEnd = rest.indexOf('--');
  if (
    before.flags.bool('help') ||
    (flagsEnd === -1 ? rest : rest.slice(0, flagsEnd)).some((t) => t === '--help' || t === '-h')
  ) {
    io.out(commandHelp(command));
    return EXIT.ok;
  }
  const after = parseArgs(rest, { ...GLOBAL_OPTIONS, ...command.options }, `alto ${command.name}`);
  const args = positionals(command, after);
  const flag = (n: string) => after.flags.string(n) ?? before.flags.string(n);
  const client = new Client({
    url: resolveUrl(flag('url'), io.env),
    ...(command.api === 'admin'
      ? { adminToken: resolveAdminToken(flag('admin-token'), io.env, io.cwd) }
      : { apiKey: resolveApiKey(flag('api-key'), io.env) }),
  });
  const json = before.flags.bool('json') || (!('json' in command.options) && after.flags.bool('json'));
  return command.run({ args, flags: after.flags, json, client, io });
}

/** Index of the command name: the first token that is not a global flag or its value. */
function commandIndex(argv: readonly string[]): number {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '-' && argv[i] !== '--') {
    const token = argv[i]!;
    const spec = GLOBAL_OPTIONS[token.replace(/^--/, '')];
    i += spec?.kind === 'string' && !token.includes('=') ? 2 : 1;
  }
  return argv[i] === '--' ? i + 1 : i;
}

function positionals(command: Command, parsed: Parsed): string[] {
  const got = parsed.positionals;
  const required = command.args.filter((a) => !a.optional);
  if (got.length < required.length) {
    throw usageError(`missing argument <${required[got.length]!.name}> (usage: ${usageLine(command)})`);
  }
  if (got.length > command.args.length) {
    const extra = got[command.args.length]!;
    const hint = /^\d+$/.test(extra) && 'wait' in command.options ? '; to wait N seconds write --wait=N' : '';
    throw usageError(`unexpected argument '${extra}' (usage: ${usageLine(command)})${hint}`);
  }
  return got;
}
