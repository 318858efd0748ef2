// The text of `alto --help` and `alto <command> --help`.
import type { OptionSpecs } from './args.ts';
import type { Command } from './command.ts';
import { ADMIN_TOKEN_FILE, DEFAULT_URL } from './settings.ts';

export const GLOBAL_OPTIONS: OptionSpecs = {
  url: { kind: 'string', value: 'URL', help: `the fleet's URL (env ALTO_URL; default ${DEFAULT_URL})` },
  'admin-token': {
    kind: 'string',
    value: 'TOKEN',
    help: `admin API token (env ALTO_ADMIN_TOKEN; else the file ${ADMIN_TOKEN_FILE} here)`,
  },
  'api-key': { kind: 'string', value: 'KEY', help: 'API key for predictions (env ALTO_API_KEY)' },
  json: { kind: 'boolean', help: "print the server's JSON as is, for scripts" },
  help: { kind: 'boolean', help: 'show help' },
};

const EXIT_STATUS = `Exit status:
  0  success
  1  the server refused the request, or the prediction failed, was canceled or expired
  2  usage error: unknown command or flag, missing or malformed argument
  3  the server cannot be reached (connection refused, unknown host, no answer in time)
  4  unauthorized (HTTP 401/403): missing or wrong admin token or API key
`;

function flagLines(specs: OptionSpecs): string {
  const entries = Object.entries(specs).map(([name, s]) => {
    const value = s.value ? (s.kind === 'optional' ? `[=${s.value}]` : ` ${s.value}`) : '';
    return [`--${name}${value}`, s.help] as const;
  });
  const width = Math.max(...entries.map(([f]) => f.length));
  return entries.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`).join('\n') + '\n';
}

export function usageLine(c: Command): string {
  const args = c.args.map((a) => (a.optional ? ` [${a.name}]` : ` <${a.name}>`)).join('');
  return `alto ${c.name}${args}${Object.keys(c.options).length ? ' [flags]' : ''}`;
}

export function topHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `alto: publish, inspect and call the models of an Alto fleet.

Usage: alto <command> [arguments] [flags]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Global flags:
${flagLines(GLOBAL_OPTIONS)}
Run 'alto <command> --help' for a command's arguments and flags.

${EXIT_STATUS}`;
}

export function commandHelp(c: Command): string {
  // A command's own flag of the same name (predict --json) replaces the global one.
  const globals = Object.fromEntries(Object.entries(GLOBAL_OPTIONS).filter(([name]) => !(name in c.options)));
  const own = Object.keys(c.options).length ? `Flags:\n${flagLines(c.options)}\n` : '';
  const notes = c.notes ? `${c.notes}\n\n` : '';
  const summary = `${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.`;
  return `Usage: ${usageLine(c)}\n\n${summary}\n\n${own}Global flags:\n${flagLines(globals)}\n${notes}${EXIT_STATUS}`;
}
